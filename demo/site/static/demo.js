/*
 * demo.js - the demo host site's own glue for follow.js: what a site does
 * with the widget's events.  A 401 ("follow:login") shows the "log in
 * again" banner; a site could as well redirect to its login page.  External
 * file on purpose: the pages' CSP allows no inline script.
 */
(function () {
	"use strict";
	document.addEventListener("follow:login", function (ev) {
		var b = document.getElementById("login-banner");
		var t = document.getElementById("login-banner-text");
		var why = ev.detail && ev.detail.detail || "401";
		document.body.setAttribute("data-login-event", why);
		if (t)
			t.textContent = why === "Not authenticated" ?
			    "Please log in to follow people and read your feed." :
			    "Your session has ended.";
		if (b)
			b.hidden = false;
	});
})();
