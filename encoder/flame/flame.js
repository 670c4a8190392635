/* flame.html's script: decodes the embedded profiles (base64 chunks → gzip → binary sections
 * and a JSON head, see docs/flame-format.md) and draws an icicle flame graph on a canvas, root at the top.
 * Everything is computed here from the data; nothing is fetched.
 *
 * Cost: the trie of a large profile has a million nodes, so per-node data lives in typed
 * arrays read straight from the varints (no object per number, no JSON of them), a profile's
 * sections are decoded when it is first shown, totals come from one reverse pass (a parent's index is always below its children's),
 * and only what changes is recomputed: values on a type or filter change, the callers' tree
 * when the reversed view is asked for, and only the layout when zooming or resizing. */
'use strict';
(function () {
	const ROW = 16;		/* px per row, including the 1 px gap */
	const MIN_W = 0.5;	/* frames narrower than this (px) are not drawn */
	const KINDS = ['native', 'kernel', 'Go', 'JIT', 'inlined', 'synthetic'];
	const HIGHLIGHT = 'rgb(230,0,230)';
	const $ = (id) => document.getElementById(id);

	let doc = null;		/* the decoded head (JSON) */
	let bytes = null;	/* Uint8Array: the whole decompressed data */
	let headAt = 0;		/* where the head starts: the sections end there */
	let funcs = null;	/* Int32Array: (name, file, module) string indices per function */
	let nFuncs = 0;
	let funcRank = null;	/* Int32Array: a function's place in name order */
	const profs = [];	/* prepared profiles, by index */
	const st = { prof: 0, type: 0, proc: 0, thread: 0, reversed: false, search: '',
		     matched: 0, sel: -1, zoom: 0 };
	let vals = null;	/* per-node values of the selected type and filter */
	let view = null;	/* the tree drawn: the trie, or the callers' tree */
	let match = null;	/* Uint8Array per function: matches the search */
	let drawn = [];		/* frames drawn, in drawing order */
	let rows = [];		/* per depth, the drawn frames left to right */

	let readyOk, readyFail;
	const ready = new Promise((ok, fail) => { readyOk = ok; readyFail = fail; });
	ready.catch(() => {});	/* a failed load is shown in the page, not as an error */

	/* Test hook, read-only: what is drawn and the state of the controls. Nothing in the page
	 * depends on it. */
	window.cprofFlame = Object.freeze({
		ready,
		frames: () => drawn.map((f) => Object.assign({}, f.pub)),
		state: () => ({
			profile: st.prof, type: st.type, proc: st.proc, thread: st.thread,
			zoom: st.zoom && view ? nameOf(view.func[st.zoom]) : null,
			reversed: st.reversed, search: st.search, matched: st.matched,
		}),
	});

	function str(i) { return doc.strings[i] || ''; }
	function nameOf(f) { return f === 0 ? 'all' : str(funcs[3 * f]); }
	function fileOf(f) { return str(funcs[3 * f + 1]); }
	function moduleOf(f) { return str(funcs[3 * f + 2]); }

	/* ---- decoding ---- */

	function unbase64(text) {
		const s = text.trim();
		if (Uint8Array.fromBase64)
			return Uint8Array.fromBase64(s);
		const bin = atob(s);
		const out = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++)
			out[i] = bin.charCodeAt(i);
		return out;
	}

	/* Where the first draw's time goes, for tests/bench/flame_big.sh: performance marks
	 * "cprof:PHASE", each at the end of its phase. */
	function mark(phase) {
		if (performance.mark)
			performance.mark('cprof:' + phase);
	}

	function bad(what) { throw new Error('bad data: ' + what); }

	/* A cursor over the sections' numbers, from at to end: bad data throws, never reads
	 * past end, never loops. Numbers are below 2^53 (the writer clamps): at most 8 bytes. */
	class Reader {
		constructor(at, end) {
			if (!(Number.isSafeInteger(at) && at >= 0 && at <= end))
				bad('a section at ' + at);
			this.p = at;
			this.end = end;
		}

		left() { return this.end - this.p; }

		byte() {
			if (this.p >= this.end)
				bad('truncated at byte ' + this.p);
			return bytes[this.p++];
		}

		uint() {
			let x = 0, mul = 1, b;
			do {
				if (mul > 2 ** 49)
					bad('a number too long at byte ' + this.p);
				b = this.byte();
				x += (b & 127) * mul;
				mul *= 128;
			} while (b & 128);
			return x;
		}

		/* Zigzag: the sign in the first byte's low bit, so that 2^53 stays exact. */
		sint() {
			let b = this.byte(), x = (b & 127) >>> 1, mul = 64;
			const neg = b & 1;
			while (b & 128) {
				if (mul > 2 ** 48)
					bad('a number too long at byte ' + this.p);
				b = this.byte();
				x += (b & 127) * mul;
				mul *= 128;
			}
			return neg ? -x - 1 : x;
		}

		/* n numbers below lim (at most 2^31) into out (a new Int32Array) from off; n is
		 * bounded by the bytes left first, so a bad count cannot allocate more than the
		 * data. The hot loop of the decoding: one- and two-byte numbers without a call. */
		uints(n, lim, what, out, off = 0) {
			if (!(Number.isSafeInteger(n) && n >= 0 && n <= this.left()))
				bad(what + ' count ' + n);
			out = out || new Int32Array(n);
			const b = bytes, end = this.end;
			let p = this.p;
			for (let i = off; i < off + n; i++) {
				let v;
				if (p < end && b[p] < 128) {
					v = b[p++];
				} else if (p + 1 < end && b[p + 1] < 128) {
					v = (b[p] & 127) | b[p + 1] << 7;
					p += 2;
				} else {
					this.p = p;
					v = this.uint();
					p = this.p;
				}
				if (v >= lim)
					bad(what + ' ' + v);
				out[i] = v;
			}
			this.p = p;
			return out;
		}
	}

	/* The gzip of parts, inflated by the browser's own DecompressionStream, fed directly
	 * (a Blob's stream is slower) into one buffer sized by the gzip trailer's length (a
	 * hint only: bad data grows it or leaves it part full). */
	async function gunzip(parts) {
		let size = 0, isize = 0;
		for (const p of parts)
			size += p.length;
		for (let k = parts.length - 1, got = 0; k >= 0 && got < 4; k--)
			for (let i = parts[k].length - 1; i >= 0 && got < 4; i--, got++)
				isize = isize * 256 + parts[k][i];
		const ds = new DecompressionStream('gzip'), w = ds.writable.getWriter();
		for (const p of parts)
			w.write(p).catch(() => {});	/* the reader sees the error */
		w.close().catch(() => {});
		const rd = ds.readable.getReader();
		let buf = new Uint8Array(Math.min(isize, 1032 * size + 64)), n = 0;
		for (;;) {
			const { done, value } = await rd.read();
			if (done)
				break;
			if (n + value.length > buf.length) {
				const more = new Uint8Array(2 * (n + value.length));
				more.set(buf.subarray(0, n));
				buf = more;
			}
			buf.set(value, n);
			n += value.length;
		}
		return buf.subarray(0, n);
	}

	/* The data: the chunks decoded one by one and gunzipped; the head is JSON at the end,
	 * its length in the last 4 bytes. */
	async function decode() {
		const parts = [];
		for (const el of document.querySelectorAll('script.cprof-data'))
			parts.push(unbase64(el.textContent));
		mark('base64');
		bytes = await gunzip(parts);
		const n = bytes.length;
		if (n < 4)
			bad('no head');
		const len = (bytes[n - 4] | bytes[n - 3] << 8 | bytes[n - 2] << 16 | bytes[n - 1] << 24) >>> 0;
		if (len > n - 4)
			bad('head length ' + len);
		headAt = n - 4 - len;
		mark('gunzip');
		return JSON.parse(new TextDecoder().decode(bytes.subarray(headAt, n - 4)));
	}

	function readFuncs() {
		if (!Array.isArray(doc.strings))
			bad('no strings');
		const R = new Reader(doc.funcs_at, headAt);
		if (!(Number.isSafeInteger(doc.funcs) && doc.funcs >= 1))
			bad('function count ' + doc.funcs);
		funcs = R.uints(3 * doc.funcs, doc.strings.length, 'string');
		nFuncs = doc.funcs;
	}

	/* Functions ordered by name (then file, module): children are drawn in this order, so
	 * the same stacks sit at the same place in every profile and type. */
	function rankFuncs() {
		const n = nFuncs;
		const idx = new Array(n);
		for (let i = 0; i < n; i++)
			idx[i] = i;
		const key = (f) => nameOf(f) + '\u0000' + fileOf(f) + '\u0000' + moduleOf(f);
		const keys = idx.map(key);
		idx.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
		funcRank = new Int32Array(n);
		idx.forEach((f, r) => { funcRank[f] = r; });
	}

	/* Children of every node in name order, as one array and a start per node (CSR): each
	 * node appended to its parent's slice, then the slices sorted by name rank. Only the two
	 * arrays kept are allocated: touching fresh memory is much of the cost on a million
	 * nodes. */
	function buildChildren(parent, func, n) {
		const start = new Int32Array(n + 1);
		for (let i = 1; i < n; i++)
			start[parent[i] + 1]++;
		for (let i = 0; i < n; i++)
			start[i + 1] += start[i];
		const kids = new Int32Array(Math.max(n - 1, 0));
		for (let i = 1; i < n; i++)
			kids[start[parent[i]]++] = i;
		/* Each start now holds the next slice's: shift them back. */
		start.copyWithin(1, 0, n);
		start[0] = 0;
		for (let i = 0; i < n; i++)
			if (start[i + 1] - start[i] > 1)
				sortKids(kids, start[i], start[i + 1], func);
		return { start, kids };
	}

	/* kids[a..b) by their function's name rank, then by node (stable, so the same page
	 * draws the same way): an insertion sort for the usual few, the engine's for many. */
	function sortKids(kids, a, b, func) {
		if (b - a > 24) {
			kids.subarray(a, b).sort((x, y) => funcRank[func[x]] - funcRank[func[y]] || x - y);
			return;
		}
		for (let i = a + 1; i < b; i++) {
			const k = kids[i], r = funcRank[func[k]];
			let j = i - 1;
			while (j >= a && (funcRank[func[kids[j]]] > r ||
					  (funcRank[func[kids[j]]] === r && kids[j] > k))) {
				kids[j + 1] = kids[j];
				j--;
			}
			kids[j + 1] = k;
		}
	}

	/* Sample rows, column by column: nodes (each a difference from the row before),
	 * processes, threads, then each type's values. */
	function readRows(R, n, T, P) {
		if (!(Number.isSafeInteger(n) && n >= 0 && n <= R.left()))
			bad('row count ' + n);
		const node = new Int32Array(n);
		for (let r = 0, prev = 0; r < n; r++) {
			prev += R.sint();
			if (!(prev >= 0 && prev < P.n))
				bad('row ' + r + ': node ' + prev);
			node[r] = prev;
		}
		const proc = R.uints(n, P.procs.length, 'process');
		const thread = R.uints(n, P.threads.length, 'thread');
		const v = [];
		for (let t = 0; t < T; t++) {
			const col = new Float64Array(n);
			for (let r = 0; r < n; r++)
				col[r] = R.sint();
			v.push(col);
		}
		return { n, node, proc, thread, v };
	}

	/* The trie: parents ("up" nodes back), then functions, then kinds, node 0 implied. */
	function readNodes(R, n, P) {
		if (!(Number.isSafeInteger(n) && n >= 1 && n - 1 <= R.left()))
			bad('node count ' + n);
		const parent = R.uints(n - 1, n, 'parent distance', new Int32Array(n), 1);
		parent[0] = -1;
		for (let i = 1; i < n; i++) {
			/* A parent is "up" nodes back; bad data must not hang or crash the page. */
			if (parent[i] > i)
				bad('node ' + i + ': parent distance ' + parent[i]);
			if (parent[i] < 1)
				bad('node ' + i + ': parent distance 0');
			parent[i] = i - parent[i];
		}
		const func = R.uints(n - 1, nFuncs, 'function', new Int32Array(n), 1);
		if (n - 1 > R.left())
			bad('truncated kinds');
		const kind = new Uint8Array(n);
		kind.set(bytes.subarray(R.p, R.p + n - 1), 1);
		R.p += n - 1;
		for (let i = 1; i < n; i++)
			if (kind[i] >= KINDS.length)
				bad('node ' + i + ': kind ' + kind[i]);
		Object.assign(P, { n, parent, func, kind });
	}

	/* A profile's sections, decoded the first time it is shown. */
	function prepare(pi) {
		if (profs[pi])
			return profs[pi];
		const p = doc.profiles[pi];
		const R = new Reader(p.at, headAt);
		const P = { label: p.label, types: p.types, def: p.default, T: p.types.length };
		P.procs = R.uints(p.procs, doc.strings.length, 'string');
		P.threads = R.uints(p.threads, doc.strings.length, 'string');
		readNodes(R, p.nodes, P);
		P.samples = readRows(R, p.samples, P.T, P);
		P.base = p.base === null ? null : readRows(R, p.base, P.T, P);
		const ch = buildChildren(P.parent, P.func, P.n);
		P.start = ch.start;
		P.kids = ch.kids;
		profs[pi] = P;
		return P;
	}

	/* ---- values of the selected type and filter ---- */

	/* Each node's self value summed from the rows of type t that pass the filter. */
	function selfOf(P, rows, t) {
		const self = new Float64Array(P.n);
		if (!rows)
			return self;
		const v = rows.v[t];
		for (let r = 0; r < rows.n; r++) {
			if (st.proc && rows.proc[r] !== st.proc)
				continue;
			if (st.thread && rows.thread[r] !== st.thread)
				continue;
			self[rows.node[r]] += v[r];
		}
		return self;
	}

	/* Self values become cumulative ones in place (a parent precedes its children). */
	function cumOf(parent, a) {
		for (let i = a.length - 1; i > 0; i--)
			a[parent[i]] += a[i];
		return a;
	}

	/* Self values back from cumulative ones, for what needs them all (search, the callers'
	 * view): the first draw needs neither, and keeps one array per node, not two. */
	function selfFrom(parent, cum) {
		const self = cum.slice();
		for (let i = cum.length - 1; i > 0; i--)
			self[parent[i]] -= cum[i];
		return self;
	}

	function computeValues() {
		const P = profs[st.prof];
		const cum = cumOf(P.parent, selfOf(P, P.T ? P.samples : null, st.type));
		const bcum = P.base && P.T ? cumOf(P.parent, selfOf(P, P.base, st.type)) : null;
		vals = { cum, bcum, total: cum[0], btotal: bcum ? bcum[0] : 0, selfs: null };
	}

	/* The forward view's self values, computed when first asked for. */
	function selfs() {
		if (!vals.selfs) {
			const P = profs[st.prof];
			vals.selfs = { self: selfFrom(P.parent, vals.cum),
				       bself: vals.bcum ? selfFrom(P.parent, vals.bcum) : null };
		}
		return vals.selfs;
	}

	function forwardView() {
		const P = profs[st.prof];
		return { n: P.n, parent: P.parent, func: P.func, kind: P.kind,
			 start: P.start, kids: P.kids, self: null, cum: vals.cum,
			 bcum: vals.bcum, rootName: 'all' };
	}

	/* ---- the reversed (callers') view ---- */

	/* Each node's depth, computed when the callers' view first needs it. */
	function depthOf(P) {
		if (!P.depth) {
			P.depth = new Int32Array(P.n);
			for (let i = 1; i < P.n; i++)
				P.depth[i] = P.depth[P.parent[i]] + 1;
		}
		return P.depth;
	}

	/* For each node, the nearest node at or above it whose function is f (-1 if none):
	 * a sample counts once, at the innermost call of f. */
	function nearestOf(P, f) {
		const near = new Int32Array(P.n);
		near[0] = -1;
		for (let i = 1; i < P.n; i++)
			near[i] = P.func[i] === f ? i : near[P.parent[i]];
		return near;
	}

	/* The stacks to turn round: with a function chosen, each node where it is called (its
	 * weight: the samples whose innermost call it is), walked from its caller; with none,
	 * each node with a self value, walked from itself. */
	function reversedStarts(P, f) {
		const near = f > 0 ? nearestOf(P, f) : null;
		const acc = new Float64Array(P.n), bacc = new Float64Array(P.n), V = selfs();
		for (let i = 1; i < P.n; i++) {
			const at = near ? near[i] : i;
			if (at < 0)
				continue;
			acc[at] += V.self[i];
			if (V.bself)
				bacc[at] += V.bself[i];
		}
		let n = 0;
		for (let i = 1; i < P.n; i++)
			n += acc[i] !== 0 || bacc[i] !== 0 ? 1 : 0;
		const cur = new Int32Array(n), w = new Float64Array(n), bw = new Float64Array(n);
		let k = 0, rootKind = 0;
		for (let i = 1; i < P.n; i++) {
			if (acc[i] === 0 && bacc[i] === 0)
				continue;
			cur[k] = near ? P.parent[i] : i;
			w[k] = acc[i];
			bw[k++] = bacc[i];
			if (near)
				rootKind = P.kind[i];
		}
		return { n, cur, w, bw, rootKind };
	}

	/* A tree whose root is the chosen function (or "all") and whose children are callers:
	 * every stack walked up at once, one level per round. The stacks under one node of the
	 * new tree stay together (a counting sort by node), so merging them by (function, kind)
	 * needs a stamp per (function, kind), not a hash: a million-node profile turns round in
	 * a few passes over typed arrays. */
	function reversedView() {
		const P = profs[st.prof], f = st.sel, S = reversedStarts(P, f);
		/* At most one new node per frame walked: the arrays are sized once. */
		let max = 1;
		for (let k = 0; k < S.n; k++)
			max += S.cur[k] > 0 ? depthOf(P)[S.cur[k]] : 0;
		const T = {
			n: 1, parent: new Int32Array(max), func: new Int32Array(max),
			kind: new Uint8Array(max), self: new Float64Array(max),
			bself: new Float64Array(max),
		};
		T.parent[0] = -1;
		T.func[0] = f > 0 ? f : 0;
		T.kind[0] = S.rootKind;
		const nk = 8 * (nFuncs + 1);
		const stamp = new Int32Array(nk).fill(-1), slot = new Int32Array(nk);
		const rn = new Int32Array(S.n);
		let active = new Int32Array(S.n), na = 0;
		for (let k = 0; k < S.n; k++) {
			if (S.cur[k] > 0) {
				active[na++] = k;
			} else {
				T.self[0] += S.w[k];
				T.bself[0] += S.bw[k];
			}
		}
		while (na) {
			const lo = T.n;
			for (let a = 0; a < na; a++) {
				const k = active[a], c = S.cur[k], key = P.func[c] * 8 + P.kind[c];
				if (stamp[key] !== rn[k]) {
					stamp[key] = rn[k];
					slot[key] = T.n;
					T.parent[T.n] = rn[k];
					T.func[T.n] = P.func[c];
					T.kind[T.n++] = P.kind[c];
				}
				rn[k] = slot[key];
				S.cur[k] = P.parent[c];
			}
			active = regroup(S, T, rn, active, na, lo);
			na = active.length;
		}
		return treeOf(T, vals.bcum ? T.bself : null, f > 0 ? nameOf(f) : 'all');
	}

	/* The stacks of this round not yet at the root, grouped by their new node (a counting
	 * sort: the round's new nodes are lo..T.n-1); the others end: their weight is the self
	 * value of their last node. */
	function regroup(S, T, rn, active, na, lo) {
		const count = new Int32Array(T.n - lo + 1);
		let nn = 0;
		for (let a = 0; a < na; a++) {
			const k = active[a];
			if (S.cur[k] > 0) {
				count[rn[k] - lo + 1]++;
				nn++;
			} else {
				T.self[rn[k]] += S.w[k];
				T.bself[rn[k]] += S.bw[k];
			}
		}
		for (let i = 1; i < count.length; i++)
			count[i] += count[i - 1];
		const next = new Int32Array(nn);
		for (let a = 0; a < na; a++) {
			const k = active[a];
			if (S.cur[k] > 0)
				next[count[rn[k] - lo]++] = k;
		}
		return next;
	}

	function treeOf(T, bself, rootName) {
		const n = T.n;
		const parent = T.parent.subarray(0, n), func = T.func.subarray(0, n);
		const self = T.self.subarray(0, n);
		const ch = buildChildren(parent, func, n);
		return { n, parent, func, kind: T.kind.subarray(0, n), start: ch.start,
			 kids: ch.kids, self, cum: cumOf(parent, self.slice()),
			 bcum: bself ? cumOf(parent, bself.slice(0, n)) : null, rootName };
	}

	/* ---- search ---- */

	function matcher(q) {
		if (q.length > 2 && q[0] === '/' && q.lastIndexOf('/') > 0) {
			const end = q.lastIndexOf('/');
			try {
				const re = new RegExp(q.slice(1, end), q.slice(end + 1));
				return (s) => { re.lastIndex = 0; return re.test(s); };
			} catch (e) {
				return null;
			}
		}
		return (s) => s.includes(q);
	}

	/* Which functions match, and the share of the total whose stack holds one: a node
	 * counts its self value when it or an ancestor matches, so a sample counts once. */
	function computeSearch() {
		st.matched = 0;
		match = null;
		if (!st.search)
			return true;
		const test = matcher(st.search);
		if (!test)
			return false;
		const nf = nFuncs;
		match = new Uint8Array(nf);
		for (let f = 1; f < nf; f++)
			match[f] = test(nameOf(f)) ? 1 : 0;
		const P = profs[st.prof];
		const hit = new Uint8Array(P.n), self = selfs().self;
		let sum = 0;
		for (let i = 1; i < P.n; i++) {
			hit[i] = match[P.func[i]] | hit[P.parent[i]];
			if (hit[i])
				sum += self[i];
		}
		st.matched = vals.total > 0 ? (100 * sum) / vals.total : 0;
		return true;
	}

	function showMatched(ok) {
		const el = $('matched');
		if (!ok)
			el.textContent = 'bad /regex/';
		else
			el.textContent = st.search ? 'matched ' + st.matched.toFixed(1) + '%' : '';
	}

	/* ---- colours ---- */

	function hash(s) {
		let h = 2166136261;
		for (let i = 0; i < s.length; i++)
			h = Math.imul(h ^ s.charCodeAt(i), 16777619);
		return h >>> 0;
	}

	const rgb = (r, g, b) => 'rgb(' + Math.round(r) + ',' + Math.round(g) + ',' + Math.round(b) + ')';
	const colourCache = new Map();

	/* By kind; within a kind a hue that follows the name, so a function keeps its colour. */
	function kindColour(f, k) {
		const key = f * 8 + k;
		let c = colourCache.get(key);
		if (c)
			return c;
		const h = hash(nameOf(f));
		const a = (h & 255) / 255, b = ((h >>> 8) & 255) / 255, d = ((h >>> 16) & 255) / 255;
		switch (k) {
		case 1: c = rgb(180 + 40 * a, 110 + 40 * b, 50 + 30 * d); break;	/* kernel */
		case 2: c = rgb(60 + 50 * a, 160 + 50 * b, 215 + 35 * d); break;	/* Go */
		case 3: c = rgb(70 + 50 * a, 185 + 45 * b, 70 + 40 * d); break;	/* JIT */
		case 4: c = rgb(110 + 40 * a, 205 + 25 * b, 190 + 25 * d); break;	/* inlined */
		case 5: c = rgb(165 + 20 * a, 165 + 20 * a, 165 + 20 * a); break;	/* synthetic */
		default: c = rgb(205 + 50 * a, 230 * b, 55 * d);			/* native */
		}
		colourCache.set(key, c);
		return c;
	}

	/* Diff: red where the frame's share of the total grew, blue where it shrank, from a
	 * white-ish grey where it stayed; full colour at 10 points of the total, and the square
	 * root of the change in between, so that a change of one point is already seen. */
	function diffColour(i) {
		const share = vals.total > 0 ? view.cum[i] / vals.total : 0;
		const bshare = vals.btotal > 0 ? view.bcum[i] / vals.btotal : 0;
		const delta = share - bshare;
		const s = Math.sqrt(Math.min(1, Math.abs(delta) / 0.1));
		return delta > 0 ? rgb(245 - 25 * s, 245 - 205 * s, 245 - 205 * s)
				 : rgb(245 - 205 * s, 245 - 165 * s, 245 - 25 * s);
	}

	function fillOf(i) {
		const f = view.func[i];
		if (match && f && match[f])
			return HIGHLIGHT;
		if (view.bcum)
			return diffColour(i);
		if (i === 0 && f === 0)
			return rgb(200, 200, 190);
		return kindColour(f, view.kind[i]);
	}

	/* ---- layout and drawing ---- */

	function pathTo(z) {
		const path = [];
		for (let i = z; i >= 0; i = view.parent[i])
			path.push(i);
		return path.reverse();
	}

	/* A node's self value: its value less its children's (the forward view keeps only
	 * cumulative values). */
	function selfAt(i) {
		if (view.self)
			return view.self[i];
		let v = view.cum[i];
		for (let k = view.start[i]; k < view.start[i + 1]; k++)
			v -= view.cum[view.kids[k]];
		return v;
	}

	function frameOf(i, depth, x, w) {
		const f = view.func[i];
		const value = view.cum[i], self = selfAt(i), total = vals.total;
		const fr = {
			i, depth, x, w,
			pub: {
				name: i === 0 ? view.rootName : nameOf(f), module: moduleOf(f),
				kind: view.kind[i], depth, x, y: depth * ROW, w, h: ROW - 1, value,
				self, total, share: total > 0 ? (100 * value) / total : 0,
				fill: fillOf(i),
			},
		};
		return fr;
	}

	/* The zoomed node's ancestors at full width, then its subtree scaled to the width;
	 * children narrower than MIN_W are skipped (their parent shows the space). */
	function layout(W) {
		drawn = [];
		const path = pathTo(st.zoom);
		path.forEach((i, d) => drawn.push(frameOf(i, d, 0, W)));
		const zc = view.cum[st.zoom];
		if (!(zc > 0))
			return;
		const scale = W / zc;
		const stack = [[st.zoom, 0, path.length - 1]];
		while (stack.length) {
			const [i, x0, d] = stack.pop();
			let x = x0;
			for (let k = view.start[i]; k < view.start[i + 1]; k++) {
				const c = view.kids[k], v = view.cum[c];
				if (!(v > 0))
					continue;
				const w = v * scale;
				if (w >= MIN_W) {
					drawn.push(frameOf(c, d + 1, x, w));
					stack.push([c, x, d + 1]);
				}
				x += w;
			}
		}
	}

	function paint(W) {
		const canvas = $('flame');
		let maxDepth = 0;
		for (const f of drawn)
			maxDepth = Math.max(maxDepth, f.depth);
		const H = (maxDepth + 1) * ROW + 4;
		const dpr = window.devicePixelRatio || 1;
		canvas.width = Math.round(W * dpr);
		canvas.height = Math.round(H * dpr);
		canvas.style.height = H + 'px';
		const ctx = canvas.getContext('2d');
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.clearRect(0, 0, W, H);
		ctx.font = '11px ui-monospace, Menlo, Consolas, monospace';
		ctx.textBaseline = 'middle';
		const charW = ctx.measureText('mmmmmmmmmm').width / 10 || 7;
		rows = [];
		for (const f of drawn) {
			const p = f.pub;
			(rows[f.depth] = rows[f.depth] || []).push(f);
			ctx.fillStyle = p.fill;
			ctx.fillRect(p.x, p.y, p.w > 2 ? p.w - 1 : p.w, p.h);
			const room = Math.floor((p.w - 6) / charW);
			if (room < 3)
				continue;
			const text = p.name.length > room ? p.name.slice(0, room - 1) + '…' : p.name;
			ctx.fillStyle = '#000';
			ctx.fillText(text, p.x + 3, p.y + p.h / 2 + 0.5);
		}
		for (const r of rows)
			if (r)
				r.sort((a, b) => a.x - b.x);
	}

	function draw() {
		const W = $('flame').getBoundingClientRect().width || document.documentElement.clientWidth;
		layout(W);
		paint(W);
	}

	/* The frame under canvas point (x, y), or null. */
	function hit(x, y) {
		const r = rows[Math.floor(y / ROW)];
		if (!r || y % ROW >= ROW - 1)
			return null;
		let lo = 0, hi = r.length - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1, f = r[mid];
			if (x < f.x)
				hi = mid - 1;
			else if (x >= f.x + f.w)
				lo = mid + 1;
			else
				return f;
		}
		return null;
	}

	/* ---- text ---- */

	function scaled(v, steps) {
		const a = Math.abs(v);
		let k = 0;
		while (k + 1 < steps.length && a >= steps[k + 1][0])
			k++;
		const x = v / steps[k][0];
		return (Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 10 ? 2 : 1)) +
			steps[k][1];
	}

	/* A value with its unit, as pprof shows them. */
	function fmt(v) {
		const t = profs[st.prof].types[st.type];
		const unit = t ? str(t[1]) : '';
		if (unit === 'nanoseconds')
			return scaled(v, [[1, 'ns'], [1e3, 'us'], [1e6, 'ms'], [1e9, 's']]);
		if (unit === 'bytes')
			return scaled(v, [[1, 'B'], [1024, 'kB'], [1048576, 'MB'], [1073741824, 'GB'],
					  [1099511627776, 'TB']]);
		const n = Math.round(v).toLocaleString('en-US');
		return unit && unit !== 'count' ? n + ' ' + unit : n;
	}

	const pct = (v) => (vals.total > 0 ? ((100 * v) / vals.total).toFixed(2) : '0.00') + '%';

	function tipText(fr) {
		const p = fr.pub, f = view.func[fr.i];
		const lines = [p.name];
		const where = [moduleOf(f), fileOf(f)].filter(Boolean).join('  ');
		if (where)
			lines.push(where);
		lines.push(KINDS[p.kind] + (st.reversed && fr.depth ? ' (caller)' : ''));
		lines.push('total: ' + fmt(p.value) + ' (' + pct(p.value) + ')');
		lines.push('self:  ' + fmt(p.self) + ' (' + pct(p.self) + ')');
		if (view.bcum) {
			const bs = vals.btotal > 0 ? (100 * view.bcum[fr.i]) / vals.btotal : 0;
			const d = p.share - bs;
			lines.push('base:  ' + bs.toFixed(2) + '%, change ' + (d >= 0 ? '+' : '') +
				   d.toFixed(2) + ' points of the total');
		}
		return lines.join('\n');
	}

	function showTip(ev, fr) {
		const tip = $('tip');
		if (!fr) {
			tip.hidden = true;
			return;
		}
		tip.textContent = tipText(fr);
		tip.hidden = false;
		const pad = 14, vw = document.documentElement.clientWidth;
		const vh = document.documentElement.clientHeight;
		const r = tip.getBoundingClientRect();
		let x = ev.clientX + pad, y = ev.clientY + pad;
		if (x + r.width > vw)
			x = Math.max(0, ev.clientX - pad - r.width);
		if (y + r.height > vh)
			y = Math.max(0, ev.clientY - pad - r.height);
		tip.style.left = x + 'px';
		tip.style.top = y + 'px';
	}

	function showStatus() {
		const P = profs[st.prof], t = P.types[st.type];
		let s = P.label + ': ' + (t ? str(t[0]) : 'no sample types') + ', total ' + fmt(vals.total);
		if (P.base)
			s += ' — difference against the base (' + fmt(vals.btotal) +
			     '): red grew, blue shrank, as shares of each total';
		if (st.reversed)
			s += st.sel > 0 ? ' — callers of ' + nameOf(st.sel)
					: ' — bottom-up: leaf functions, then their callers';
		const el = $('status');
		el.className = '';
		el.textContent = s;
	}

	function showLegend() {
		const el = $('legend');
		el.textContent = '';
		for (const k of [0, 1, 2, 3, 4, 5]) {
			const i = document.createElement('i');
			i.style.background = kindColour(0, k);
			el.appendChild(i);
			el.appendChild(document.createTextNode(KINDS[k]));
		}
	}

	/* ---- controls ---- */

	function rebuildView() {
		view = st.reversed ? reversedView() : forwardView();
		if (!(st.zoom < view.n && view.cum[st.zoom] > 0))
			st.zoom = 0;
	}

	function fillSelect(el, names, all) {
		el.textContent = '';
		names.forEach((s, i) => {
			const o = document.createElement('option');
			o.value = String(i);
			o.textContent = i ? str(s) : all;
			el.appendChild(o);
		});
		const few = names.length <= 2;
		el.hidden = few;
		el.disabled = few;
		el.value = '0';
	}

	/* Values changed (profile, type, process, thread): everything below them is redone. */
	function revalue() {
		computeValues();
		rebuildView();
		showMatched(computeSearch());
		showStatus();
		mark('values');
		draw();
		mark('draw');
	}

	function selectProfile(pi, t) {
		const P = prepare(pi);
		mark('prepare');
		if (pi !== st.prof || !vals) {
			st.proc = st.thread = 0;
			st.sel = -1;
			st.zoom = 0;
			fillSelect($('proc'), P.procs, 'all processes');
			fillSelect($('thread'), P.threads, 'all threads');
		}
		st.prof = pi;
		st.type = t;
		$('profile').value = pi + ':' + t;
		revalue();
	}

	function onClick(ev) {
		const r = $('flame').getBoundingClientRect();
		const fr = hit(ev.clientX - r.left, ev.clientY - r.top);
		if (!fr)
			return;
		st.zoom = fr.i;
		/* The reversed view is of the function last clicked in the normal view. */
		if (!st.reversed)
			st.sel = fr.i ? view.func[fr.i] : -1;
		draw();
	}

	function onReverse() {
		const on = $('reverse').checked;
		if (on === st.reversed)
			return;
		st.reversed = on;
		/* Each view starts at its root; the function chosen stays chosen. */
		st.zoom = 0;
		rebuildView();
		showStatus();
		draw();
	}

	let pendingDraw = 0;

	function wire() {
		const sel = $('profile');
		doc.profiles.forEach((p, pi) => {
			p.types.forEach((t, ti) => {
				const o = document.createElement('option');
				o.value = pi + ':' + ti;
				o.textContent = p.label + ' — ' + str(t[0]) + ' (' + str(t[1]) + ')';
				sel.appendChild(o);
			});
		});
		sel.addEventListener('change', () => {
			const [pi, t] = sel.value.split(':').map(Number);
			selectProfile(pi, t);
		});
		for (const id of ['proc', 'thread']) {
			$(id).addEventListener('change', () => {
				st[id] = Number($(id).value);
				revalue();
			});
		}
		$('search').addEventListener('input', () => {
			st.search = $('search').value;
			showMatched(computeSearch());
			draw();
		});
		$('reset').addEventListener('click', () => { st.zoom = 0; draw(); });
		$('reverse').addEventListener('change', onReverse);
		const canvas = $('flame');
		canvas.addEventListener('click', onClick);
		canvas.addEventListener('mousemove', (ev) => {
			const r = canvas.getBoundingClientRect();
			showTip(ev, hit(ev.clientX - r.left, ev.clientY - r.top));
		});
		canvas.addEventListener('mouseleave', () => { $('tip').hidden = true; });
		window.addEventListener('resize', () => {
			if (!pendingDraw)
				pendingDraw = requestAnimationFrame(() => { pendingDraw = 0; draw(); });
		});
	}

	async function init() {
		try {
			doc = await decode();
			if (!doc || doc.v !== 2 || !Array.isArray(doc.profiles) || !doc.profiles.length)
				throw new Error('the page holds no profile');
			readFuncs();
			mark('head');
			document.title = doc.title || 'cprof-bpf';
			$('title').textContent = doc.title || 'cprof-bpf';
			rankFuncs();
			mark('rank');
			showLegend();
			wire();
			const p0 = doc.profiles[0];
			selectProfile(0, p0.default < p0.types.length ? p0.default : 0);
			readyOk();
		} catch (e) {
			const el = $('status');
			el.className = 'error';
			el.textContent = 'cannot show this profile: ' + (e && e.message ? e.message : e);
			readyFail(e);
		}
	}

	init();
})();
