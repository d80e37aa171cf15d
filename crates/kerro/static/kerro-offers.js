/* kerro: a signed-in visitor's offers on the company's own page, each with a
   "why you see this" link (docs/messages.md). No dependencies; text only,
   never HTML, so an offer's text cannot run as code on the page.
   <div data-kerro-offers data-kerro="https://kerro.example" data-token="SUBJECT_TOKEN"
        data-channel="web" data-limit="3" data-why="Why you see this"></div>
   <script src="https://kerro.example/static/kerro-offers.js" defer></script> */
(function () {
  "use strict";
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function show(box) {
    var base = (box.getAttribute("data-kerro") || "").replace(/\/+$/, "");
    var token = box.getAttribute("data-token");
    if (!/^https?:\/\//.test(base) || !token) return;
    var q = "?channel=" + encodeURIComponent(box.getAttribute("data-channel") || "web") +
      "&limit=" + encodeURIComponent(box.getAttribute("data-limit") || "3");
    fetch(base + "/v1/me/offers" + q, {
      headers: { Authorization: "Bearer " + token },
      credentials: "omit"
    }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (d) {
      if (!d || !d.offers || !d.offers.length) return;
      var list = el("ul", "kerro-offers");
      d.offers.forEach(function (o) {
        var li = el("li", "kerro-offer");
        li.appendChild(el("h3", "kerro-offer-title", o.title || o.key));
        if (o.body) li.appendChild(el("p", "kerro-offer-body", o.body));
        var why = el("a", "kerro-offer-why", box.getAttribute("data-why") || "Why you see this");
        why.href = base + "/me/offers#offer-" + encodeURIComponent(o.key);
        li.appendChild(why);
        list.appendChild(li);
      });
      box.replaceChildren(list);
    }).catch(function () {});
  }
  var boxes = document.querySelectorAll("[data-kerro-offers]");
  for (var i = 0; i < boxes.length; i++) show(boxes[i]);
})();
