/*
 * follow.v1.js - the follow-fcgi widget: follow buttons with live counts,
 * followers/following lists and the feed, from plain HTML markup.
 *
 * Plain ES2017, no framework, no build step.  It must never use eval,
 * inline styles or innerHTML with data (it runs under a strict CSP and
 * renders user-written text), never send the session token itself (the
 * browser sends the HttpOnly cookie), and never page by page numbers (only
 * by next_cursor, so rows added meanwhile cause no duplicates or gaps).
 * The file name carries the version: any change ships as follow.v2.js so
 * browsers may cache it forever.
 *
 *   <meta name="follow-api" content="/api">        (or data-follow-api="")
 *   <button data-follow-user="42"></button>          follow/unfollow button
 *   <span data-follow-count="42"></span>             live follower count
 *   <span data-follow-following-count="42"></span>   live following count
 *   <ul data-follow-list="followers" data-user="42"></ul>   (or "following")
 *   <div data-follow-feed></div>
 *
 * Texts: set window.FollowStrings = {follow: "Folgen", ...} before loading.
 * Events on document: "follow:login" (a 401: send the user to the login),
 * "follow:change" (detail {id, following, follower_count}).
 */
(function () {
	"use strict";

	var S = {
		follow: "Follow",
		following: "Following",
		unfollow: "Unfollow",
		followLabel: "Follow {name}",
		loadMore: "Load more",
		loading: "Loading\u2026",
		retry: "Try again",
		empty: "Nothing here yet.",
		emptyFeed: "No posts yet: follow someone to fill your feed.",
		followers: "followers",
		followingCount: "following",
		by: "by",
		login: "Please log in to continue.",
		busy: "Too many requests; retrying in {s} s\u2026",
		unavailable: "The service is unavailable right now. Try again shortly.",
		network: "Network error: check your connection and try again.",
		failed: "That did not work: {detail}"
	};
	var k;
	var custom = window.FollowStrings || {};
	for (k in custom)
		if (Object.prototype.hasOwnProperty.call(custom, k))
			S[k] = String(custom[k]);

	var MAX_WAIT = 60;	/* longest Retry-After we honour, seconds */
	var ATTEMPTS = 3;	/* tries for 429/503 before giving up */
	var relationsLoaded = false;

	function fmt(s, vars) {
		return s.replace(/\{(\w+)\}/g, function (m, n) {
			return vars && n in vars ? String(vars[n]) : m;
		});
	}

	function api(el) {
		var host = el && el.closest("[data-follow-api]");
		var meta = document.querySelector('meta[name="follow-api"]');
		var base = host ? host.getAttribute("data-follow-api") :
		    meta ? meta.getAttribute("content") : "/api";
		return base.replace(/\/+$/, "");
	}

	function make(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text != null)
			e.textContent = text;
		return e;
	}

	function sleep(s) {
		return new Promise(function (ok) { setTimeout(ok, s * 1000); });
	}

	function emit(name, detail) {
		document.dispatchEvent(new CustomEvent(name,
		    { bubbles: true, detail: detail }));
	}

	/* An Error whose kind is auth, busy, unavailable, network or http. */
	function fail(kind, status, detail) {
		var e = new Error(detail || kind);
		e.kind = kind;
		e.status = status;
		e.detail = detail || "";
		return e;
	}

	function message(e) {
		switch (e.kind) {
		case "auth": return S.login;
		case "busy":
		case "unavailable": return S.unavailable;
		case "network": return S.network;
		default: return fmt(S.failed, { detail: e.detail || e.status });
		}
	}

	/*
	 * One API call; resolves with the parsed JSON.  429 and 503 are tried
	 * again after Retry-After (nothing was changed by them), a 401 fires
	 * follow:login unless quiet, anything else not 2xx rejects with fail().
	 */
	async function call(el, method, path, onWait, quiet) {
		var i, r, body, wait;
		for (i = 0; ; i++) {
			try {
				r = await fetch(api(el) + path, {
					method: method,
					credentials: "same-origin",
					headers: { Accept: "application/json" }
				});
			} catch (x) {
				throw fail("network", 0, x.message);
			}
			try {
				body = await r.json();
			} catch (x) {
				body = null;
			}
			if (r.ok)
				return body;
			var detail = body && typeof body.detail === "string" ?
			    body.detail : r.statusText;
			if (r.status === 401) {
				if (!quiet)
						emit("follow:login", { status: 401,
					    detail: detail, method: method,
					    path: path });
				throw fail("auth", 401, detail);
			}
			if ((r.status === 429 || r.status === 503) &&
			    i + 1 < ATTEMPTS) {
				wait = parseInt(r.headers.get("Retry-After"), 10);
				if (!(wait >= 0))
					wait = 1;
				wait = Math.min(wait, MAX_WAIT);
				if (onWait)
					onWait(wait);
				await sleep(wait);
				continue;
			}
			throw fail(r.status === 429 ? "busy" :
			    r.status === 503 ? "unavailable" : "http",
			    r.status, detail);
		}
	}

	/* ------------------------------------------------ live region */

	var live;
	function announce(text, isError) {
		if (!live) {
			live = make("div", "follow-toast");
			live.setAttribute("role", "status");
			live.setAttribute("aria-live", "polite");
			document.body.appendChild(live);
		}
		live.textContent = text;
		live.classList.toggle("follow-toast--error", !!isError);
		live.hidden = !text;
	}

	/* ------------------------------------------------ counts */

	function setCounts(id, followers, following) {
		if (followers != null)
			document.querySelectorAll('[data-follow-count="' + id + '"]')
			    .forEach(function (e) { e.textContent = followers; });
		if (following != null)
			document.querySelectorAll(
			    '[data-follow-following-count="' + id + '"]')
			    .forEach(function (e) { e.textContent = following; });
	}

	function countOf(id) {
		var e = document.querySelector('[data-follow-count="' + id + '"]');
		var n = e ? parseInt(e.textContent, 10) : NaN;
		return isNaN(n) ? null : n;
	}

	/* Fills count elements the page left empty, one GET per user. */
	function initCounts(root) {
		var ids = {};
		root.querySelectorAll("[data-follow-count],[data-follow-following-count]")
		    .forEach(function (e) {
			var id = e.getAttribute("data-follow-count") ||
			    e.getAttribute("data-follow-following-count");
			if (e.textContent.trim() === "" && /^\d+$/.test(id))
				ids[id] = e;
		});
		Object.keys(ids).forEach(function (id) {
			call(ids[id], "GET", "/users/" + id).then(function (u) {
				setCounts(id, u.follower_count, u.following_count);
			}, function () {});
		});
	}

	/* ------------------------------------------------ buttons */

	function render(btn) {
		var on = btn.getAttribute("aria-pressed") === "true";
		btn.textContent = on ? S.following : S.follow;
		btn.classList.toggle("follow-button--on", on);
		var name = btn.getAttribute("data-follow-name");
		if (name)
			btn.setAttribute("aria-label", fmt(S.followLabel,
			    { name: name }));
		btn.title = on ? S.unfollow : "";
	}

	function buttonsFor(id) {
		return document.querySelectorAll('[data-follow-user="' + id +
		    '"].follow-button');
	}

	function setPressed(id, on) {
		buttonsFor(id).forEach(function (b) {
			b.setAttribute("aria-pressed", on ? "true" : "false");
			render(b);
		});
	}

	async function toggle(btn) {
		var id = btn.getAttribute("data-follow-user");
		var was = btn.getAttribute("aria-pressed") === "true";
		var before = countOf(id);
		var r;

		if (btn.getAttribute("aria-busy") === "true")
			return;
		buttonsFor(id).forEach(function (b) {
			b.setAttribute("aria-busy", "true");
		});
		/* Optimistic: show the result now, undo it if the call fails. */
		setPressed(id, !was);
		if (before != null)
			setCounts(id, Math.max(0, before + (was ? -1 : 1)), null);
		try {
			r = await call(btn, was ? "DELETE" : "POST",
			    "/users/" + id + "/follow", function (s) {
				announce(fmt(S.busy, { s: s }), false);
			});
			setPressed(id, r.following);
			setCounts(id, r.follower_count, null);
			announce("", false);
			emit("follow:change", { id: Number(id),
			    following: r.following,
			    follower_count: r.follower_count });
		} catch (e) {
			if (e.kind === "http" && e.status === 400 && was) {
				/* Not following after all: the server is right. */
				setPressed(id, false);
			} else {
				setPressed(id, was);
				setCounts(id, before, null);
			}
			announce(message(e), true);
		} finally {
			buttonsFor(id).forEach(function (b) {
				b.removeAttribute("aria-busy");
			});
		}
	}

	/* Turns every unprepared [data-follow-user] under root into a button. */
	function prepareButtons(root) {
		var out = [];
		root.querySelectorAll("[data-follow-user]").forEach(function (el) {
			var id = el.getAttribute("data-follow-user");
			var btn = el;
			if (el.classList.contains("follow-button") ||
			    !/^\d+$/.test(id))
				return;
			if (el.tagName !== "BUTTON") {
				btn = make("button");
				btn.setAttribute("data-follow-user", id);
				if (el.hasAttribute("data-follow-name"))
					btn.setAttribute("data-follow-name",
					    el.getAttribute("data-follow-name"));
				el.removeAttribute("data-follow-user");
				el.appendChild(btn);
			}
			btn.type = "button";
			btn.classList.add("follow-button");
			if (!btn.hasAttribute("aria-pressed"))
				btn.setAttribute("aria-pressed", "false");
			render(btn);
			btn.addEventListener("click", function () { toggle(btn); });
			out.push(btn);
		});
		return out;
	}

	/* One /users/me/relationships call per 100 new buttons. */
	async function loadRelations(buttons, quiet) {
		var ids = [], seen = {}, i, rel;
		buttons.forEach(function (b) {
			var id = b.getAttribute("data-follow-user");
			if (!seen[id]) {
				seen[id] = true;
				ids.push(id);
			}
		});
		for (i = 0; i < ids.length; i += 100) {
			try {
				rel = await call(buttons[0], "GET",
				    "/users/me/relationships?ids=" +
				    ids.slice(i, i + 100).join(","), null, true);
			} catch (e) {
				/* A visitor who is not logged in: buttons stay
				 * "Follow", and a click fires follow:login. */
				if (e.kind !== "auth" && !quiet)
					announce(message(e), true);
				return;
			}
			rel.forEach(function (x) { setPressed(x.id, x.following); });
		}
	}

	/* ------------------------------------------------ lists and feed */

	function userItem(u, list) {
		var li = make("li", "follow-list__item");
		var tpl = list.getAttribute("data-profile-href");
		var name = u.display_name || u.username;
		var who = tpl ? make("a", "follow-list__name", name) :
		    make("span", "follow-list__name", name);
		if (tpl)
			who.href = tpl.replace("{id}", encodeURIComponent(u.id))
			    .replace("{username}", encodeURIComponent(u.username));
		li.tabIndex = -1;
		li.setAttribute("data-id", u.id);
		li.appendChild(who);
		li.appendChild(make("span", "follow-list__handle",
		    "@" + u.username));
		var c = make("span", "follow-list__counts");
		var n = make("span", null, String(u.follower_count));
		n.setAttribute("data-follow-count", u.id);
		c.appendChild(n);
		c.appendChild(document.createTextNode(" " + S.followers));
		li.appendChild(c);
		if (list.getAttribute("data-me") !== String(u.id)) {
			var b = make("button");
			b.setAttribute("data-follow-user", u.id);
			b.setAttribute("data-follow-name", name);
			li.appendChild(b);
		}
		return li;
	}

	function postItem(p) {
		var a = make("article", "follow-post");
		a.tabIndex = -1;
		a.setAttribute("data-id", p.id);
		var h = make("header", "follow-post__head");
		h.appendChild(make("h3", "follow-post__title", p.title || ""));
		var meta = make("p", "follow-post__meta");
		meta.appendChild(document.createTextNode(S.by + " "));
		var au = make("span", "follow-post__author",
		    p.author.display_name || p.author.username);
		au.setAttribute("data-author", p.author.id);
		meta.appendChild(au);
		meta.appendChild(document.createTextNode(" \u00b7 "));
		var t = make("time", null,
		    new Date(p.created_at).toLocaleString());
		t.dateTime = p.created_at;
		meta.appendChild(t);
		h.appendChild(meta);
		a.appendChild(h);
		a.appendChild(make("p", "follow-post__body", p.body || ""));
		if (p.tags && p.tags.length) {
			var ul = make("ul", "follow-post__tags");
			p.tags.forEach(function (x) {
				ul.appendChild(make("li", null, x));
			});
			a.appendChild(ul);
		}
		return a;
	}

	/*
	 * A paged list in el: the first page, then next_cursor pages on
	 * "Load more" or when the button scrolls into view.  Items already
	 * shown (by id) are never shown twice.
	 */
	function pager(el, path, itemFn, emptyText) {
		var box = el.tagName === "UL" || el.tagName === "OL" ? el :
		    el.appendChild(make("div", "follow-feed__items"));
		var foot = make("div", "follow-pager");
		var more = make("button", "follow-pager__more", S.loadMore);
		var note = make("p", "follow-pager__note");
		var seen = {}, cursor = null, busy = false, done = false;
		var size = parseInt(el.getAttribute("data-page-size"), 10) || 20;
		var observer;

		more.type = "button";
		note.setAttribute("role", "status");
		foot.appendChild(note);
		foot.appendChild(more);
		el.after(foot);
		el.setAttribute("aria-busy", "false");

		async function next(byKeyboard) {
			var q = "?page_size=" + size, j, first = null, fresh = [];
			if (busy || done)
				return;
			busy = true;
			el.setAttribute("aria-busy", "true");
			more.disabled = true;
			note.textContent = S.loading;
			if (cursor)
				q += "&cursor=" + encodeURIComponent(cursor);
			try {
				j = await call(el, "GET", path + q, function (s) {
					note.textContent = fmt(S.busy, { s: s });
				});
			} catch (e) {
				note.textContent = message(e);
				note.classList.add("follow-pager__note--error");
				more.textContent = S.retry;
				more.disabled = false;
				busy = false;
				el.setAttribute("aria-busy", "false");
				return;
			}
			note.classList.remove("follow-pager__note--error");
			j.items.forEach(function (it) {
				if (seen[it.id])
					return;
				seen[it.id] = true;
				var node = itemFn(it, el);
				box.appendChild(node);
				fresh.push(node);
				if (!first)
					first = node;
			});
			cursor = j.next_cursor;
			done = cursor == null;
			note.textContent = done && !Object.keys(seen).length ?
			    emptyText : "";
			more.textContent = S.loadMore;
			more.hidden = done;
			more.disabled = false;
			busy = false;
			el.setAttribute("aria-busy", "false");
			el.setAttribute("data-loaded", Object.keys(seen).length);
			if (done && observer)
				observer.disconnect();
			/* Keyboard users continue where the new items start. */
			if (byKeyboard && first)
				first.focus();
			var btns = [];
			fresh.forEach(function (n) {
				btns = btns.concat(prepareButtons(n));
			});
			/*
			 * The observer reports changes only: when the page did
			 * not push "Load more" out of view, ask for the next.
			 */
			if (!done && observer && foot.getBoundingClientRect().top <
			    window.innerHeight + 200)
				setTimeout(function () { next(false); }, 0);
			if (btns.length)
				await loadRelations(btns, true);
		}

		more.addEventListener("click", function (ev) {
			next(ev.detail === 0);
		});
		if ("IntersectionObserver" in window &&
		    el.getAttribute("data-infinite") !== "false") {
			observer = new IntersectionObserver(function (es) {
				if (es.some(function (x) { return x.isIntersecting; }))
					next(false);
			}, { rootMargin: "200px" });
			observer.observe(foot);
		}
		return next(false);
	}

	/* ------------------------------------------------ start */

	function start() {
		var buttons = prepareButtons(document);
		document.querySelectorAll("[data-follow-list]").forEach(function (el) {
			var kind = el.getAttribute("data-follow-list");
			var id = el.getAttribute("data-user");
			if ((kind === "followers" || kind === "following") &&
			    /^(\d+|me)$/.test(id)) {
				el.classList.add("follow-list");
				pager(el, "/users/" + id + "/" + kind, userItem,
				    S.empty);
			}
		});
		document.querySelectorAll("[data-follow-feed]").forEach(function (el) {
			el.classList.add("follow-feed");
			pager(el, "/users/me/feed", postItem, S.emptyFeed);
		});
		initCounts(document);
		if (buttons.length)
			loadRelations(buttons, false);
		relationsLoaded = true;
	}

	window.FollowKit = { start: start, strings: S,
	    started: function () { return relationsLoaded; } };
	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", start);
	else
		start();
})();
