-- wrk script: POST a new comment per request, bodies rotating through a file of texts.
-- usage: wrk ... -s post_comment.lua URL -- RUN_ID FORMAT BODIES_FILE [RESULTS_PREFIX [DELAY_MS]]
--   FORMAT: civility | isso
--   BODIES_FILE: one body per line, JSON-escaped without the surrounding quotes
--     (thread_bench.py writes it from the datasets at run time)
--   RESULTS_PREFIX: each wrk thread writes "STATUS ID" per response to PREFIX-<thread>.txt, so
--     the benchmark can check every acknowledged comment afterwards.
--   DELAY_MS: each connection waits this long before its next request (light load; default 0).
-- Each body gets a " [RUN-THREAD-N]" tag: unique, so duplicate detection stays on and passes.
local nthreads = 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

function init(args)
  run = args[1] or "run"
  fmt = args[2] or "civility"
  bodies = {}
  for line in io.lines(args[3]) do
    bodies[#bodies + 1] = line
  end
  counter = 0
  -- each wrk thread starts at another place in the file
  pos = ((tid - 1) * 7919) % #bodies
  if args[4] and args[4] ~= "" then
    results = io.open(string.format("%s-%d.txt", args[4], tid), "w")
    results:setvbuf("line")
  end
  delay_ms = tonumber(args[5] or "0")
end

function delay()
  return delay_ms
end

function request()
  counter = counter + 1
  pos = pos % #bodies + 1
  local text = string.format("%s [%s-%d-%d]", bodies[pos], run, tid, counter)
  local body
  if fmt == "isso" then
    body = string.format('{"text": "%s", "author": "Bench %d", "title": "Bench article"}', text, tid)
  else
    body = string.format('{"body": "%s"}', text)
  end
  return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
  if results then
    local id = "-"
    if status >= 200 and status < 300 then
      id = string.match(body, '"id"%s*:%s*(%d+)') or "?"
    end
    results:write(status, " ", id, "\n")
  end
end
