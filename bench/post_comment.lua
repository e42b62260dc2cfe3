-- wrk script: POST a unique comment per request (duplicate detection stays on).
-- usage: wrk ... -s post_comment.lua URL -- RUN_ID FORMAT   (FORMAT: civility | isso)
local nthreads = 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

function init(args)
  run = args[1] or "run"
  fmt = args[2] or "civility"
  counter = 0
end

function request()
  counter = counter + 1
  local text = string.format(
    "Bench %s-%d-%d: the council vote on the bus lanes deserves a closer look at the numbers.",
    run, tid, counter)
  local body
  if fmt == "isso" then
    body = string.format('{"text": "%s", "author": "Bench %d", "title": "Bench article"}', text, tid)
  else
    body = string.format('{"body": "%s"}', text)
  end
  return wrk.format("POST", nil, nil, body)
end
