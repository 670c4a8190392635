/* flame.html's script: decodes the embedded profiles (base64 → gzip → JSON, see
 * docs/flame-format.md) and draws an icicle flame graph on a canvas, root at the top.
 * Everything is computed here from the data; nothing is fetched.
 *
 * Cost: the trie of a large profile has a million nodes, so per-node data lives in typed
 * arrays, totals come from one reverse pass (a parent's index is always below its children's),
 * and only what changes is recomputed: values on a type or filter change, the callers' tree
 * when the reversed view is asked for, and only the layout when zooming or resizing. */
'use strict';
(function () {
	const ROW = 16;		/* px per row, including the 1 px gap */
	const MIN_W = 0.5;	/* frames narrower than this (px) are not drawn */
	const KINDS = ['native', 'kernel', 'Go', 'JIT', 'inlined', 'synthetic'];
	const HIGHLIGHT = 'rgb(230,0,230)';
	const $ = (id) => document.getElementById(id);

	let doc = null;		/* the decoded JSON */
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
	function nameOf(f) { return f === 0 ? 'all' : str(doc.funcs[3 * f]); }
	function fileOf(f) { return str(doc.funcs[3 * f + 1]); }
	function moduleOf(f) { return str(doc.funcs[3 * f + 2]); }

	/* ---- decoding ---- */

	async function decode() {
		const b64 = $('cprof-data').textContent.trim();
		const bin = atob(b64);
		const bytes = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++)
			bytes[i] = bin.charCodeAt(i);
		const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
		const text = await new Response(stream).text();
		return JSON.parse(text);
	}

	/* Functions ordered by name (then file, module): children are drawn in this order, so
	 * the same stacks sit at the same place in every profile and type. */
	function rankFuncs() {
		const n = doc.funcs.length / 3;
		const idx = new Array(n);
		for (let i = 0; i < n; i++)
			idx[i] = i;
		const key = (f) => nameOf(f) + '\u0000' + fileOf(f) + '\u0000' + moduleOf(f);
		const keys = idx.map(key);
		idx.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
		funcRank = new Int32Array(n);
		idx.forEach((f, r) => { funcRank[f] = r; });
	}

	/* Children of every node in name order, as one array and a start per node (CSR): a
	 * counting sort by name rank, then each node appended to its parent's slice. */
	function buildChildren(parent, func, n) {
		const nr = funcRank.length;
		const byRank = new Int32Array(nr + 1);
		for (let i = 1; i < n; i++)
			byRank[funcRank[func[i]] + 1]++;
		for (let r = 0; r < nr; r++)
			byRank[r + 1] += byRank[r];
		const order = new Int32Array(Math.max(n - 1, 0));
		for (let i = 1; i < n; i++)
			order[byRank[funcRank[func[i]]]++] = i;
		const start = new Int32Array(n + 1);
		for (let i = 1; i < n; i++)
			start[parent[i] + 1]++;
		for (let i = 0; i < n; i++)
			start[i + 1] += start[i];
		const fill = start.slice(0, n);
		const kids = new Int32Array(Math.max(n - 1, 0));
		for (let k = 0; k < order.length; k++) {
			const i = order[k];
			kids[fill[parent[i]]++] = i;
		}
		return { start, kids };
	}

	function prepare(pi) {
		if (profs[pi])
			return profs[pi];
		const p = doc.profiles[pi];
		const n = p.nodes.length / 3;
		const parent = new Int32Array(n), func = new Int32Array(n);
		const kind = new Uint8Array(n), depth = new Int32Array(n);
		parent[0] = -1;
		for (let i = 0; i < n; i++) {
			const up = p.nodes[3 * i];
			func[i] = p.nodes[3 * i + 1];
			kind[i] = p.nodes[3 * i + 2];
			if (i === 0)
				continue;
			/* A parent is "up" nodes back; bad data must not hang or crash the page. */
			if (!(up >= 1 && up <= i))
				throw new Error('node ' + i + ': bad parent distance ' + up);
			parent[i] = i - up;
			depth[i] = depth[parent[i]] + 1;
		}
		const ch = buildChildren(parent, func, n);
		const T = p.types.length;
		profs[pi] = {
			label: p.label, types: p.types, def: p.default, procs: p.procs,
			threads: p.threads, n, parent, func, kind, depth, start: ch.start,
			kids: ch.kids, T, samples: p.samples, base: p.base || null,
		};
		return profs[pi];
	}

	/* ---- values of the selected type and filter ---- */

	function selfOf(P, rows, t) {
		const self = new Float64Array(P.n);
		if (!rows)
			return self;
		const stride = 3 + P.T;
		for (let r = 0; r + stride <= rows.length; r += stride) {
			if (st.proc && rows[r + 1] !== st.proc)
				continue;
			if (st.thread && rows[r + 2] !== st.thread)
				continue;
			const node = rows[r];
			if (node >= 0 && node < P.n)
				self[node] += rows[r + 3 + t];
		}
		return self;
	}

	function cumOf(parent, self) {
		const cum = Float64Array.from(self);
		for (let i = cum.length - 1; i > 0; i--)
			cum[parent[i]] += cum[i];
		return cum;
	}

	function computeValues() {
		const P = profs[st.prof];
		const self = P.T ? selfOf(P, P.samples, st.type) : new Float64Array(P.n);
		const cum = cumOf(P.parent, self);
		let bself = null, bcum = null;
		if (P.base && P.T) {
			bself = selfOf(P, P.base, st.type);
			bcum = cumOf(P.parent, bself);
		}
		vals = { self, cum, bself, bcum, total: cum[0], btotal: bcum ? bcum[0] : 0 };
	}

	function forwardView() {
		const P = profs[st.prof];
		return { n: P.n, parent: P.parent, func: P.func, kind: P.kind, depth: P.depth,
			 start: P.start, kids: P.kids, self: vals.self, cum: vals.cum,
			 bcum: vals.bcum, rootName: 'all' };
	}

	/* ---- the reversed (callers') view ---- */

	/* For each node, the nearest node at or above it whose function is f (-1 if none):
	 * a sample counts once, at the innermost call of f. */
	function nearestOf(P, f) {
		const near = new Int32Array(P.n);
		near[0] = -1;
		for (let i = 1; i < P.n; i++)
			near[i] = P.func[i] === f ? i : near[P.parent[i]];
		return near;
	}

	/* A tree whose root is the selected function (or "all" leaves with none) and whose
	 * children are callers, built by walking each stack from f (or the leaf) to the root. */
	function reversedView() {
		const P = profs[st.prof], f = st.sel;
		const near = f > 0 ? nearestOf(P, f) : null;
		const acc = new Float64Array(P.n), bacc = new Float64Array(P.n);
		for (let i = 1; i < P.n; i++) {
			const at = near ? near[i] : i;
			if (at < 0)
				continue;
			acc[at] += vals.self[i];
			if (vals.bself)
				bacc[at] += vals.bself[i];
		}
		const parent = [-1], func = [f > 0 ? f : 0], kind = [0], self = [0], bself = [0];
		const index = new Map();
		const M = 8 * (doc.funcs.length / 3 + 1);
		const child = (par, fn, k) => {
			const key = par * M + fn * 8 + k;
			let c = index.get(key);
			if (c === undefined) {
				c = parent.length;
				index.set(key, c);
				parent.push(par); func.push(fn); kind.push(k);
				self.push(0); bself.push(0);
			}
			return c;
		};
		for (let i = 1; i < P.n; i++) {
			if (acc[i] === 0 && bacc[i] === 0)
				continue;
			if (near)
				kind[0] = P.kind[i];
			let r = 0;
			for (let c = near ? P.parent[i] : i; c > 0; c = P.parent[c])
				r = child(r, P.func[c], P.kind[c]);
			self[r] += acc[i];
			bself[r] += bacc[i];
		}
		return treeOf(parent, func, kind, self, vals.bself ? bself : null,
			      f > 0 ? nameOf(f) : 'all');
	}

	function treeOf(parentA, funcA, kindA, selfA, bselfA, rootName) {
		const n = parentA.length;
		const parent = Int32Array.from(parentA), func = Int32Array.from(funcA);
		const kind = Uint8Array.from(kindA), self = Float64Array.from(selfA);
		const depth = new Int32Array(n);
		for (let i = 1; i < n; i++)
			depth[i] = depth[parent[i]] + 1;
		const ch = buildChildren(parent, func, n);
		return { n, parent, func, kind, depth, start: ch.start, kids: ch.kids, self,
			 cum: cumOf(parent, self),
			 bcum: bselfA ? cumOf(parent, Float64Array.from(bselfA)) : null, rootName };
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
		const nf = doc.funcs.length / 3;
		match = new Uint8Array(nf);
		for (let f = 1; f < nf; f++)
			match[f] = test(nameOf(f)) ? 1 : 0;
		const P = profs[st.prof];
		const hit = new Uint8Array(P.n);
		let sum = 0;
		for (let i = 1; i < P.n; i++) {
			hit[i] = match[P.func[i]] | hit[P.parent[i]];
			if (hit[i])
				sum += vals.self[i];
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

	function frameOf(i, depth, x, w) {
		const f = view.func[i];
		const value = view.cum[i], self = view.self[i], total = vals.total;
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
		draw();
	}

	function selectProfile(pi, t) {
		const P = prepare(pi);
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
			if (!doc || doc.v !== 1 || !Array.isArray(doc.profiles) || !doc.profiles.length)
				throw new Error('the page holds no profile');
			document.title = doc.title || 'cprof-bpf';
			$('title').textContent = doc.title || 'cprof-bpf';
			rankFuncs();
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
