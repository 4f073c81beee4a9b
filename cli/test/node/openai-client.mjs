// Drives `jseek serve` with the official openai package, as a user's script would, and prints one JSON line per
// request for OpenAiNodeClientTest to check. Usage: node openai-client.mjs BASE_URL [tools] (the package is found
// via NODE_PATH); with "tools" it asks for a required tool call, plain and streamed (the server has a tool template).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const OpenAI = require('openai').default ?? require('openai');
const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'test-key', maxRetries: 0 });
const model = 'tiny';
const messages = [{ role: 'user', content: 'Why is the sea salty?' }];
const out = (name, value) => console.log(JSON.stringify({ name, ...value }));

if (process.argv[3] === 'tools') {
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'The weather now',
    parameters: { type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 7 } }, required: ['days'] } } }];
  // a number, not a string: a string argument is free text up to its closing tag, which random weights never write
  const ask = { model, messages: [{ role: 'user', content: 'Weather in Paris?' }], tools, tool_choice: 'required',
    parallel_tool_calls: false, max_tokens: 160, chat_template_kwargs: { thinking: false } };
  const called = await client.chat.completions.create(ask);
  const call = called.choices[0].message.tool_calls[0];
  out('tool', { id: call.id, type: call.type, fn: call.function.name, finish: called.choices[0].finish_reason });
  const names = [];
  for await (const chunk of await client.chat.completions.create({ ...ask, stream: true })) {
    for (const c of chunk.choices[0]?.delta?.tool_calls ?? []) {
      if (c.function?.name) names.push(c.function.name);
    }
  }
  out('tool_stream', { names });
  process.exit(0);
}

const plain = await client.chat.completions.create({ model, messages, max_tokens: 40 });
const m = plain.choices[0].message;
out('plain', { reasoning: m.reasoning_content, content: m.content, finish: plain.choices[0].finish_reason, usage: plain.usage });

const stream = await client.chat.completions.create({ model, messages, max_tokens: 40, stream: true, stream_options: { include_usage: true } });
let reasoning = '';
let content = '';
let finish = null;
let usage = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  reasoning += choice.delta.reasoning_content ?? '';
  content += choice.delta.content ?? '';
  finish = choice.finish_reason ?? finish;
}
out('stream', { reasoning, content, finish, usage });

const schema = { type: 'object', properties: { answer: { enum: ['yes', 'no'] } }, required: ['answer'] };
const json = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Yes or no?' }],
  response_format: { type: 'json_schema', json_schema: { name: 'verdict', schema } } });
out('schema', { content: json.choices[0].message.content, finish: json.choices[0].finish_reason });

try {
  await client.chat.completions.create({ model, messages, temperature: 'hot' });
  out('error', { status: 200 });
} catch (e) {
  out('error', { status: e.status, code: e.code, type: e.type, message: e.message });
}
