// Perspective API's Node sample (developers.perspectiveapi.com, "Sample requests"), run by
// tests/perspective/test_discovery.py against a live Civility server. Unchanged except that
// DISCOVERY_URL (and the key) come from the environment; the suggestscore call and the error
// case are written the same way. Prints one JSON object: {analyze, suggestscore, error}.
const {google} = require('googleapis');

const API_KEY = process.env.API_KEY;
// was 'https://commentanalyzer.googleapis.com/$discovery/rest?version=v1alpha1'
const DISCOVERY_URL = process.env.DISCOVERY_URL;

const results = {};

google.discoverAPI(DISCOVERY_URL)
    .then(client => {
      const analyzeRequest = {
        comment: {
          text: 'Jiminy cricket! Well gosh durned it! Oh damn it all!',
        },
        requestedAttributes: {
          TOXICITY: {},
        },
      };

      client.comments.analyze(
          {
            key: API_KEY,
            resource: analyzeRequest,
          },
          (err, response) => {
            if (err) throw err;
            results.analyze = response.data;

            const suggestRequest = {
              comment: {text: 'Jiminy cricket! Well gosh durned it! Oh damn it all!'},
              attributeScores: {TOXICITY: {summaryScore: {value: 0}}},
              clientToken: 'comment-53922',
            };
            client.comments.suggestscore(
                {key: API_KEY, resource: suggestRequest},
                (err, response) => {
                  if (err) throw err;
                  results.suggestscore = response.data;

                  const emptyRequest = {
                    comment: {text: ''},
                    requestedAttributes: {TOXICITY: {}},
                  };
                  client.comments.analyze(
                      {key: API_KEY, resource: emptyRequest},
                      (err, response) => {
                        if (!err) throw new Error('an empty comment was not refused');
                        results.error = {
                          status: err.response.status,
                          message: err.message,
                          body: err.response.data,
                        };
                        console.log(JSON.stringify(results, null, 2));
                      });
                });
          });
    })
    .catch(err => {
      throw err;
    });
