// Helpers that e2e/flame_browser.sh injects into flame.html (through tests/tools/cdp.py's
// "inject" step) after each page load. They read the page only through its documented test
// hook (window.cprofFlame: frames(), state(), ready) and its element ids, and answer in
// one-line strings of space-separated fields that the shell script reads with `read`.
// Names in answers have their spaces replaced by "~" so that every field stays one word.
window.T = (() => {
	const F = () => window.cprofFlame;
	const word = (s) => String(s).replace(/\s/g, '~');
	const canvas = () => document.getElementById('flame');
	const fmt = (v) => (Math.round(v * 1000) / 1000).toString();

	// The colour a CSS colour string paints, as [r, g, b], whatever its syntax.
	const rgb = (fill) => {
		const c = document.createElement('canvas');
		c.width = c.height = 1;
		const x = c.getContext('2d');
		x.fillStyle = '#000';
		x.fillStyle = fill;
		x.fillRect(0, 0, 1, 1);
		return Array.from(x.getImageData(0, 0, 1, 1).data.slice(0, 3));
	};
	// Hue in degrees and saturation (0..1) of a colour, as HSL has them.
	const hsl = (fill) => {
		const [r, g, b] = rgb(fill).map((v) => v / 255);
		const max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2;
		if (max === min) return { h: 0, s: 0, l };
		const d = max - min;
		const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
		let h;
		if (max === r) h = ((g - b) / d + (g < b ? 6 : 0)) * 60;
		else if (max === g) h = ((b - r) / d + 2) * 60;
		else h = ((r - g) / d + 4) * 60;
		return { h, s, l };
	};
	// Search highlight: magenta, a hue no frame kind uses.
	const magenta = (fill) => {
		const c = hsl(fill);
		return c.h >= 280 && c.h <= 335 && c.s >= 0.4;
	};
	// What a diff colour says: red (grew), blue (shrank) or neutral; with the colour's
	// strength: how far it is from white-ish grey (0..1), in rgb terms.
	const diffClass = (fill) => {
		const [r, g, b] = rgb(fill);
		const strength = (Math.max(r, g, b) - Math.min(r, g, b)) / 255;
		let cls = 'neutral';
		if (strength >= 0.1 && r > b && r >= g) cls = 'red';
		else if (strength >= 0.1 && b > r && b >= g * 0.9) cls = 'blue';
		return `${cls} ${fmt(strength)} rgb(${r},${g},${b})`;
	};

	const frames = () => F().frames();
	const root = () => frames().find((f) => f.depth === 0);
	const named = (n) => frames().filter((f) => f.name === n);
	const rect = () => canvas().getBoundingClientRect();
	const widthSum = (fs) => fs.reduce((a, f) => a + f.w, 0);

	return {
		// The page's point of a frame's centre, for a click.
		centre(f) {
			if (!f) return null;
			const r = rect();
			return { x: r.left + f.x + f.w / 2, y: r.top + f.y + f.h / 2 };
		},
		centreOf(name) { return this.centre(named(name)[0]); },
		// The page's point of an element's centre.
		el(sel) {
			const e = document.querySelector(sel);
			if (!e) return null;
			const r = e.getBoundingClientRect();
			return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
		},
		// "NAME PCT": the widest frame at depth 1, its width as a share of the root's (%).
		widest1() {
			const r = root(), d1 = frames().filter((f) => f.depth === 1);
			if (!r || !d1.length) return `none 0 frames=${frames().length}`;
			d1.sort((a, b) => b.w - a.w);
			return `${word(d1[0].name)} ${fmt((100 * d1[0].w) / r.w)}`;
		},
		// "PCT N": the drawn width of every frame named name, as a share of the root's, and
		// how many frames those are.
		share(name) {
			const r = root(), fs = named(name);
			return `${r ? fmt((100 * widthSum(fs)) / r.w) : -1} ${fs.length}`;
		},
		// After a search for name: "HIGHLIGHTED NAMED WRONG MATCHED_TEXT STATE_MATCHED":
		// frames drawn magenta, frames named name, frames where the two disagree, #matched's
		// text, state().matched.
		searched(name) {
			const fs = frames();
			const hi = fs.filter((f) => magenta(f.fill)).length;
			const nm = fs.filter((f) => f.name === name).length;
			const wrong = fs.filter((f) => magenta(f.fill) !== (f.name === name)).length;
			const m = document.getElementById('matched');
			return `${hi} ${nm} ${wrong} ${word(m ? m.textContent.trim() || '-' : 'no-#matched')} ${fmt(F().state().matched)}`;
		},
		clearSearch() {
			const s = document.getElementById('search');
			s.value = '';
			s.dispatchEvent(new Event('input', { bubbles: true }));
			s.dispatchEvent(new Event('change', { bubbles: true }));
			return F().state().search === '';
		},
		// After a click on name: "ZOOM W CANVAS_W ANCESTORS_FULL": state().zoom, the frame's
		// width, the canvas's, and how many of its ancestors (frames above it, depth less)
		// are not drawn full width.
		zoomed(name) {
			const f = named(name)[0], cw = rect().width;
			if (!f) return `${word(F().state().zoom)} 0 ${fmt(cw)} -1`;
			const notFull = frames().filter((a) => a.depth < f.depth && Math.abs(a.w - cw) > 1).length;
			return `${word(F().state().zoom)} ${fmt(f.w)} ${fmt(cw)} ${notFull}`;
		},
		// The reversed view of name: "REVERSED DEPTHS WIDTHS OTHERS": state().reversed, the
		// depths (relative to name's frame) of name and of each of callers, their widths as
		// shares of name's width (%), and the names drawn that are none of these.
		reversed(name, callers) {
			const f = named(name)[0];
			if (!f) return `${F().state().reversed} none none -`;
			const depths = [], widths = [];
			for (const c of callers) {
				const cf = named(c);
				depths.push(cf.length ? Math.min(...cf.map((x) => x.depth)) - f.depth : 'none');
				widths.push(fmt((100 * widthSum(cf)) / f.w));
			}
			const known = new Set([name, ...callers]);
			const others = [...new Set(frames().filter((x) => x.depth > f.depth && !known.has(x.name))
				.map((x) => word(x.name)))];
			return `${F().state().reversed} ${depths.join(',')} ${widths.join(',')} ${others.slice(0, 8).join(',') || '-'}`;
		},
		// "CLASS STRENGTH rgb(...)" of the frame named name in a diff.
		diff(name) {
			const f = named(name)[0];
			return f ? diffClass(f.fill) : 'absent 0 -';
		},
		// "N OPT1 OPT2 ...": the #profile options as VALUE=TEXT (spaces as ~).
		options() {
			const s = document.getElementById('profile');
			if (!s) return '0';
			const o = [...s.options].map((x) => `${x.value}=${word(x.textContent.trim())}`);
			return `${o.length} ${o.join(' ')}`;
		},
		// Selects #profile option value (a "P:T" string) as a user would, waits for the
		// page to show it; "TYPE ROOT_VALUE N_FRAMES": state().type, the root frame's value,
		// how many frames are drawn.
		async select(value) {
			const s = document.getElementById('profile');
			s.value = value;
			s.dispatchEvent(new Event('input', { bubbles: true }));
			s.dispatchEvent(new Event('change', { bubbles: true }));
			const want = Number(value.split(':')[1]);
			for (let i = 0; i < 100 && F().state().type !== want; i++)
				await new Promise((r) => setTimeout(r, 20));
			await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
			const r = root();
			return `${F().state().type} ${r ? r.value : -1} ${frames().length}`;
		},
	};
})();
true;
