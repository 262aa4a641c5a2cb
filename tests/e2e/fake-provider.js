#!/usr/bin/env node
// A loopback fake model provider for the end-to-end suite.  It speaks, as
// far as the real engine CLIs need it:
//   - OpenAI Responses      POST /v1/responses            (codex)      SSE
//   - OpenAI Chat Completions POST /v1/chat/completions   (copilot BYOK) SSE
//   - Anthropic Messages    POST /v1/messages             (claude)     SSE
//   - Gemini                POST /v1beta/models/M:streamGenerateContent (gemini) SSE
//   - model lists           GET  /v1/models, /models, /v1beta/models
// and answers according to a mode:
//   ok        a normal streamed answer
//   401       401 with --message (default "Incorrect API key provided")
//   403       403 Forbidden
//   429       429 rate limited, on every request
//   quota     the provider's "quota exhausted / credits too low" error
//   402       402 Payment Required, Copilot's exhausted premium-request quota
//             ({"error":{"message":"You have no quota","code":"quota_exceeded"}},
//             github/copilot-cli#3431)
//   500       500 on the first --fail-count requests, then ok (recovers)
// The mode can be changed while running: write it into --mode-file (read on
// every request; "MODE" or "MODE MESSAGE...").
//
// usage: fake-provider.js --port N|0 [--port-file F] [--mode M]
//          [--message TEXT] [--mode-file F] [--fail-count N] [--log F]
//          [--ws mirror|off]
// Listens on 127.0.0.1 only.  Websocket upgrades are refused with the same
// status as the mode (--ws mirror, the default: a provider that refuses the
// key refuses the handshake too), or with 426 in ok/500 mode or with --ws off
// (a proxy without websockets), so clients fall back to HTTP.
'use strict';

const http = require('http');
const fs = require('fs');

const args = { port: 0, mode: 'ok', failCount: 2 };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i], v = process.argv[i + 1];
	switch (a) {
	case '--port': args.port = Number(v); i++; break;
	case '--port-file': args.portFile = v; i++; break;
	case '--mode': args.mode = v; i++; break;
	case '--message': args.message = v; i++; break;
	case '--mode-file': args.modeFile = v; i++; break;
	case '--fail-count': args.failCount = Number(v); i++; break;
	case '--log': args.log = v; i++; break;
	case '--ws': args.ws = v; i++; break;
	default:
		process.stderr.write(`fake-provider: unknown argument ${a}\n`);
		process.exit(2);
	}
}

let served = 0;		// requests answered (for the recovering 500 mode)
let failed = 0;		// 500s sent so far

function currentMode() {
	if (args.modeFile) {
		try {
			const t = fs.readFileSync(args.modeFile, 'utf8').trim();
			if (t) {
				const sp = t.indexOf(' ');
				return sp < 0 ? { mode: t, message: args.message } :
				    { mode: t.slice(0, sp), message: t.slice(sp + 1) };
			}
		} catch (e) { /* no mode file yet: use the default */ }
	}
	return { mode: args.mode, message: args.message };
}

function logLine(s) {
	if (args.log)
		fs.appendFileSync(args.log, `${new Date().toISOString()} ${s}\n`);
}

function protocolOf(url) {
	if (url.startsWith('/v1beta') || url.includes(':streamGenerateContent') ||
	    url.includes(':generateContent') || url.includes(':countTokens'))
		return 'gemini';
	if (url.startsWith('/v1/messages')) return 'anthropic';
	if (url.includes('/chat/completions')) return 'chat';
	return 'openai';
}

// ---- error bodies, shaped like each provider's -------------------------

function openaiError(status, mode, msg) {
	const e = {
		401: { message: msg || 'Incorrect API key provided: dummy****. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', code: 'invalid_api_key' },
		403: { message: msg || 'You are not allowed to access this resource.', type: 'invalid_request_error', code: 'unsupported_country_region_territory' },
		429: { message: msg || 'Rate limit reached for gpt-5 in organization org-fake on tokens per min (TPM): Limit 30000, Used 30000, Requested 1000. Please try again in 2s.', type: 'tokens', code: 'rate_limit_exceeded' },
		quota: { message: msg || 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' },
		500: { message: msg || 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
	}[mode];
	if (mode === '402')	// Copilot's own shape: no type, no param
		return { status, body: { error: { message: msg || 'You have no quota', code: 'quota_exceeded' } } };
	return { status, body: { error: Object.assign({ param: null }, e) } };
}

function anthropicError(status, mode, msg) {
	const e = {
		401: { type: 'authentication_error', message: msg || 'invalid x-api-key' },
		403: { type: 'permission_error', message: msg || 'Your API key does not have permission to use the specified resource.' },
		429: { type: 'rate_limit_error', message: msg || 'This request would exceed the rate limit for your organization of 50 requests per minute.' },
		quota: { type: 'invalid_request_error', message: msg || 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.' },
		500: { type: 'api_error', message: msg || 'Internal server error' },
	}[mode];
	return { status, body: { type: 'error', error: e, request_id: 'req_fake0123456789' } };
}

function geminiError(status, mode, msg) {
	const e = {
		401: { code: 400, message: msg || 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' },
		403: { code: 403, message: msg || 'Permission denied: Consumer has been suspended.', status: 'PERMISSION_DENIED' },
		429: { code: 429, message: msg || 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' },
		quota: { code: 429, message: msg || 'You exceeded your current quota, please check your plan and billing details.', status: 'RESOURCE_EXHAUSTED' },
		500: { code: 500, message: msg || 'An internal error has occurred.', status: 'INTERNAL' },
	}[mode];
	// Gemini answers an invalid key with 400 INVALID_ARGUMENT, like the API.
	return { status: mode === '401' ? 400 : status, body: { error: e } };
}

function refusal(proto, mode, msg) {
	const status = { 401: 401, 402: 402, 403: 403, 429: 429, quota: 429, 500: 500 }[mode];
	if (proto === 'anthropic') {
		// Anthropic reports exhausted credits as a 400.
		return anthropicError(mode === 'quota' ? 400 : status, mode, msg);
	}
	if (proto === 'gemini')
		return geminiError(status, mode, msg);
	return openaiError(status, mode, msg);
}

// ---- successful streamed answers ----------------------------------------

const ANSWER = 'Hello from the fake provider.';

function sse(res, events) {
	res.writeHead(200, {
		'content-type': 'text/event-stream',
		'cache-control': 'no-cache',
		'x-request-id': 'req_fake',
		'request-id': 'req_fake',
	});
	for (const [name, data] of events) {
		if (name) res.write(`event: ${name}\n`);
		res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
	}
	res.end();
}

function okOpenAIResponses(res, req) {
	const model = (req.json && req.json.model) || 'gpt-5';
	const id = 'resp_fake' + served;
	const msgItem = { id: 'msg_fake' + served, type: 'message', role: 'assistant', status: 'completed',
		content: [{ type: 'output_text', text: ANSWER, annotations: [] }] };
	const base = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model, status: 'in_progress', output: [] };
	sse(res, [
		['response.created', { type: 'response.created', sequence_number: 0, response: base }],
		['response.in_progress', { type: 'response.in_progress', sequence_number: 1, response: base }],
		['response.output_item.added', { type: 'response.output_item.added', sequence_number: 2, output_index: 0,
			item: Object.assign({}, msgItem, { status: 'in_progress', content: [] }) }],
		['response.content_part.added', { type: 'response.content_part.added', sequence_number: 3, item_id: msgItem.id,
			output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }],
		['response.output_text.delta', { type: 'response.output_text.delta', sequence_number: 4, item_id: msgItem.id,
			output_index: 0, content_index: 0, delta: ANSWER }],
		['response.output_text.done', { type: 'response.output_text.done', sequence_number: 5, item_id: msgItem.id,
			output_index: 0, content_index: 0, text: ANSWER }],
		['response.output_item.done', { type: 'response.output_item.done', sequence_number: 6, output_index: 0, item: msgItem }],
		['response.completed', { type: 'response.completed', sequence_number: 7, response: Object.assign({}, base, {
			status: 'completed', output: [msgItem],
			usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7,
				output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 17 } }) }],
	]);
}

function okChat(res, req) {
	const model = (req.json && req.json.model) || 'gpt-4.1';
	const base = { id: 'chatcmpl-fake' + served, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
	if (req.json && req.json.stream === false) {
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ id: base.id, object: 'chat.completion', created: base.created, model,
			choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
			usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 } }));
		return;
	}
	sse(res, [
		[null, Object.assign({}, base, { choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })],
		[null, Object.assign({}, base, { choices: [{ index: 0, delta: { content: ANSWER }, finish_reason: null }] })],
		[null, Object.assign({}, base, { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
			usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 } })],
		[null, '[DONE]'],
	]);
}

function okAnthropic(res, req) {
	const model = (req.json && req.json.model) || 'claude-sonnet-4-5';
	const usage = { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
	if (req.json && !req.json.stream) {
		res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_fake' });
		res.end(JSON.stringify({ id: 'msg_fake' + served, type: 'message', role: 'assistant', model,
			content: [{ type: 'text', text: ANSWER }], stop_reason: 'end_turn', stop_sequence: null,
			usage: Object.assign({}, usage, { output_tokens: 7 }) }));
		return;
	}
	sse(res, [
		['message_start', { type: 'message_start', message: { id: 'msg_fake' + served, type: 'message', role: 'assistant',
			model, content: [], stop_reason: null, stop_sequence: null, usage } }],
		['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
		['ping', { type: 'ping' }],
		['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ANSWER } }],
		['content_block_stop', { type: 'content_block_stop', index: 0 }],
		['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null },
			usage: { output_tokens: 7 } }],
		['message_stop', { type: 'message_stop' }],
	]);
}

function okGemini(res, req) {
	const chunk = {
		candidates: [{ content: { parts: [{ text: ANSWER }], role: 'model' }, finishReason: 'STOP', index: 0 }],
		usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 7, totalTokenCount: 17 },
		modelVersion: 'gemini-2.5-pro',
	};
	if (req.url.includes(':countTokens')) {
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ totalTokens: 10 }));
		return;
	}
	if (req.url.includes(':generateContent')) {
		// Non-streamed calls are used for side questions (e.g. "who speaks
		// next"); answer with JSON that satisfies a schema asking for it.
		let text = ANSWER;
		const gc = req.json && req.json.generationConfig;
		if (gc && (gc.responseJsonSchema || gc.responseSchema || gc.responseMimeType === 'application/json'))
			text = JSON.stringify({ reasoning: 'The answer is complete.', next_speaker: 'user' });
		const c = JSON.parse(JSON.stringify(chunk));
		c.candidates[0].content.parts[0].text = text;
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify(c));
		return;
	}
	sse(res, [[null, chunk]]);
}

function models(res, proto) {
	res.writeHead(200, { 'content-type': 'application/json' });
	if (proto === 'gemini') {
		res.end(JSON.stringify({ models: [{ name: 'models/gemini-2.5-pro', displayName: 'Gemini 2.5 Pro' }] }));
		return;
	}
	res.end(JSON.stringify({ object: 'list', data: [
		{ id: 'gpt-5', object: 'model', created: 0, owned_by: 'fake' },
		{ id: 'gpt-4.1', object: 'model', created: 0, owned_by: 'fake' },
		{ id: 'claude-sonnet-4-5', object: 'model', created: 0, owned_by: 'fake', type: 'model', display_name: 'Claude Sonnet 4.5' },
	], has_more: false, models: [] }));
}

// ---- dispatch ------------------------------------------------------------

function answer(req, res) {
	served++;
	const { mode, message } = currentMode();
	const proto = protocolOf(req.url);
	let m = mode;
	if (mode === '500') {
		if (failed < args.failCount) { failed++; m = '500'; } else m = 'ok';
	}
	logLine(`${req.method} ${req.url} proto=${proto} mode=${mode} -> ${m} auth=${req.headers.authorization ? 'bearer' : (req.headers['x-api-key'] || req.headers['x-goog-api-key'] ? 'key' : 'none')}`);
	if (m !== 'ok') {
		const r = refusal(proto, m, message);
		const h = { 'content-type': 'application/json', 'x-request-id': 'req_fake' };
		if (m === '429') h['retry-after'] = '1';
		res.writeHead(r.status, h);
		res.end(JSON.stringify(r.body));
		return;
	}
	if (req.method === 'GET' || /\/models\/?(\?|$)/.test(req.url))
		return models(res, proto);
	if (proto === 'anthropic') {
		if (req.url.includes('count_tokens')) {
			res.writeHead(200, { 'content-type': 'application/json' });
			return res.end(JSON.stringify({ input_tokens: 10 }));
		}
		return okAnthropic(res, req);
	}
	if (proto === 'gemini') return okGemini(res, req);
	if (proto === 'chat') return okChat(res, req);
	if (req.url.includes('/responses')) return okOpenAIResponses(res, req);
	res.writeHead(404, { 'content-type': 'application/json' });
	res.end(JSON.stringify({ error: { message: `no route ${req.url}`, type: 'not_found' } }));
}

const server = http.createServer((req, res) => {
	const chunks = [];
	let size = 0;
	req.on('data', (c) => { size += c.length; if (size < 8 << 20) chunks.push(c); });
	req.on('end', () => {
		try { req.json = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (e) { req.json = null; }
		try { answer(req, res); } catch (e) {
			logLine(`internal error ${e.stack}`);
			if (!res.headersSent) res.writeHead(500);
			res.end();
		}
	});
});

// Websocket attempts (codex tries the Responses API over a websocket first):
// answer the upgrade with a plain HTTP status so the client gives up on it.
server.on('upgrade', (req, socket) => {
	const { mode, message } = currentMode();
	let status = 426, body = '{"error":{"message":"websockets not supported here"}}';
	if (mode !== 'ok' && mode !== '500' && args.ws !== 'off') {
		const r = refusal(protocolOf(req.url), mode, message);
		status = r.status;
		body = JSON.stringify(r.body);
	}
	logLine(`UPGRADE ${req.url} mode=${mode} -> ${status}`);
	socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] || 'Error'}\r\n` +
	    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
	    `connection: close\r\n\r\n${body}`);
});

server.keepAliveTimeout = 5000;
server.listen(args.port, '127.0.0.1', () => {
	const port = server.address().port;
	if (args.portFile) {
		fs.writeFileSync(args.portFile + '.tmp', `${port}\n`);
		fs.renameSync(args.portFile + '.tmp', args.portFile);
	}
	logLine(`listening on 127.0.0.1:${port} mode=${args.mode}`);
});

for (const s of ['SIGTERM', 'SIGINT'])
	process.on(s, () => { server.close(); process.exit(0); });
