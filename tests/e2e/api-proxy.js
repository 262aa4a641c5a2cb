#!/usr/bin/env node
// A stand-in for the gh-aw firewall's api-proxy sidecar (AWF
// containers/api-proxy), for the end-to-end suite: a loopback HTTP proxy
// that forwards every request of the engine to the upstream (the fake
// provider) and keeps the same per-request record AWF keeps on the host,
// token-tracker-audit.jsonl, written the same way:
//
//   - one TRACK_START per upstream response, the moment its headers arrive
//     (before the body is relayed, so at the instant the engine learns the
//     status), then one TRACK_END when the body has been relayed;
//   - each line is JSON.stringify({ ts: Date.now(), event, ...data }) with
//     the field names and order of AWF's auditTrack() calls:
//       TRACK_START {rid, provider, path, streaming, ct, ce, status}
//       TRACK_END   {rid, result: "skip_status", status}           non-2xx
//       TRACK_END   {rid, result: "no_usage", streaming, bytes, overflow, ct, ce}
//       TRACK_END   {rid, result: "ok", streaming, model, input, output, cache_read}
//     (github/gh-aw-firewall containers/api-proxy/token-persistence.js,
//     auditTrack(); containers/api-proxy/token-tracker-http.js,
//     trackTokenUsage() and finalizeHttpTracking());
//   - the file is created lazily by the first response (mkdir -p of its
//     directory, then an append stream, mode 0644), never truncated;
//   - websocket upgrades are relayed as raw sockets with no audit line (AWF
//     logs those only to the container's stdout).
//
// usage: api-proxy.js --port N|0 --upstream http://127.0.0.1:P
//          --provider openai|anthropic|copilot|gemini --log-dir DIR
//          [--port-file F]
// Listens on 127.0.0.1 only.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const args = { port: 0 };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i], v = process.argv[i + 1];
	switch (a) {
	case '--port': args.port = Number(v); i++; break;
	case '--port-file': args.portFile = v; i++; break;
	case '--upstream': args.upstream = new URL(v); i++; break;
	case '--provider': args.provider = v; i++; break;
	case '--log-dir': args.logDir = v; i++; break;
	default:
		process.stderr.write(`api-proxy: unknown argument ${a}\n`);
		process.exit(2);
	}
}
if (!args.upstream || !args.provider || !args.logDir) {
	process.stderr.write('api-proxy: --upstream, --provider and --log-dir are required\n');
	process.exit(2);
}

const AUDIT_FILE = path.join(args.logDir, 'token-tracker-audit.jsonl');
const MAX_BUFFER_SIZE = 5 * 1024 * 1024;
let auditStream = null;

// AWF's auditTrack(): lazy append stream, best effort.
function auditTrack(event, data) {
	try {
		if (!auditStream) {
			fs.mkdirSync(args.logDir, { recursive: true });
			auditStream = fs.createWriteStream(AUDIT_FILE, { flags: 'a', mode: 0o644 });
			auditStream.on('error', () => { auditStream = null; });
		}
		const line = { ts: Date.now(), event, ...data };
		auditStream.write(JSON.stringify(line) + '\n');
	} catch (e) { /* best-effort, as AWF */ }
}

// Usage as AWF's token parsers find it: Anthropic message_start /
// message_delta, or a top-level `usage` (OpenAI chat, Copilot).
function usageOfJson(j, acc) {
	if (!j || typeof j !== 'object') return acc;
	if (j.model && !acc.model) acc.model = j.model;
	if (j.type === 'message_start' && j.message && j.message.usage) {
		const u = j.message.usage;
		if (j.message.model && !acc.model) acc.model = j.message.model;
		if (typeof u.input_tokens === 'number') acc.u.input_tokens = u.input_tokens;
		if (typeof u.cache_read_input_tokens === 'number') acc.u.cache_read_input_tokens = u.cache_read_input_tokens;
	} else if (j.type === 'message_delta' && j.usage) {
		if (typeof j.usage.output_tokens === 'number') acc.u.output_tokens = j.usage.output_tokens;
	} else if (j.usage && typeof j.usage === 'object') {
		for (const k of ['input_tokens', 'output_tokens', 'prompt_tokens', 'completion_tokens'])
			if (typeof j.usage[k] === 'number') acc.u[k] = j.usage[k];
		if (j.usage.prompt_tokens_details && typeof j.usage.prompt_tokens_details.cached_tokens === 'number')
			acc.u.cache_read_input_tokens = j.usage.prompt_tokens_details.cached_tokens;
	}
	return acc;
}

function extractUsage(body, streaming) {
	const acc = { u: {}, model: null };
	const text = body.toString('utf8');
	if (streaming) {
		for (const part of text.split('\n')) {
			const t = part.trim();
			if (!t.startsWith('data: ') || t === 'data: [DONE]') continue;
			try { usageOfJson(JSON.parse(t.slice(6)), acc); } catch (e) { /* not JSON */ }
		}
	} else {
		try { usageOfJson(JSON.parse(text), acc); } catch (e) { /* not JSON */ }
	}
	if (Object.keys(acc.u).length === 0) return null;
	return {
		model: acc.model,
		input: acc.u.input_tokens ?? acc.u.prompt_tokens ?? 0,
		output: acc.u.output_tokens ?? acc.u.completion_tokens ?? 0,
		cache_read: acc.u.cache_read_input_tokens ?? 0,
	};
}

function requestModel(buf) {
	try { return JSON.parse(buf.toString('utf8')).model; } catch (e) { return undefined; }
}

function forward(req, res, reqBody) {
	const rid = crypto.randomUUID();
	const headers = Object.assign({}, req.headers, { host: args.upstream.host });
	const up = http.request({
		host: args.upstream.hostname, port: args.upstream.port, method: req.method,
		path: req.url, headers,
	}, (pres) => {
		const ct = pres.headers['content-type'] || '(none)';
		const ce = pres.headers['content-encoding'] || '(none)';
		const streaming = ct.includes('text/event-stream');
		// At the headers, before a byte of the body is relayed: the
		// engine cannot have the status earlier than the record does.
		auditTrack('TRACK_START', { rid, provider: args.provider, path: req.url, streaming, ct, ce, status: pres.statusCode });
		res.writeHead(pres.statusCode, pres.headers);
		const chunks = [];
		let bytes = 0, overflow = false, done = false;
		pres.on('data', (c) => {
			bytes += c.length;
			if (!overflow && bytes <= MAX_BUFFER_SIZE) chunks.push(c);
			else { overflow = true; chunks.length = 0; }
			res.write(c);
		});
		const finish = () => {
			if (done) return;
			done = true;
			res.end();
			const status = pres.statusCode;
			if (status < 200 || status >= 300) {
				auditTrack('TRACK_END', { rid, result: 'skip_status', status });
				return;
			}
			const u = overflow ? null : extractUsage(Buffer.concat(chunks), streaming);
			if (!u) {
				auditTrack('TRACK_END', { rid, result: 'no_usage', streaming, bytes, overflow, ct, ce });
				return;
			}
			auditTrack('TRACK_END', { rid, result: 'ok', streaming, model: u.model || requestModel(reqBody),
				input: u.input, output: u.output, cache_read: u.cache_read });
		};
		pres.on('end', finish);
		pres.on('close', finish);
	});
	up.on('error', (e) => {
		// No upstream answer: AWF writes no audit line then either.
		if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ error: { message: `api-proxy stand-in: upstream error: ${e.message}` } }));
	});
	up.end(reqBody);
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => forward(req, res, Buffer.concat(chunks)));
});

// Websockets: relayed as a raw pipe, no audit line (as AWF).
server.on('upgrade', (req, socket, head) => {
	const up = net.connect(Number(args.upstream.port), args.upstream.hostname, () => {
		let h = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
		for (let i = 0; i < req.rawHeaders.length; i += 2) {
			const k = req.rawHeaders[i];
			h += `${k}: ${k.toLowerCase() === 'host' ? args.upstream.host : req.rawHeaders[i + 1]}\r\n`;
		}
		up.write(h + '\r\n');
		if (head && head.length) up.write(head);
		up.pipe(socket);
		socket.pipe(up);
	});
	up.on('error', () => socket.destroy());
	socket.on('error', () => up.destroy());
});

server.listen(args.port, '127.0.0.1', () => {
	const port = server.address().port;
	if (args.portFile) {
		fs.writeFileSync(args.portFile + '.tmp', `${port}\n`);
		fs.renameSync(args.portFile + '.tmp', args.portFile);
	}
});

for (const s of ['SIGTERM', 'SIGINT'])
	process.on(s, () => {
		server.close();
		if (auditStream) auditStream.end(() => process.exit(0));
		else process.exit(0);
	});
