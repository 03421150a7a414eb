// museokit catalog: search filters the cards in the page; no server, no network.
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var texts = cards.map(function (c) { return c.getAttribute("data-search") || ""; });
  var input = document.getElementById("search");
  var count = document.getElementById("count");

  function search(term) {
    var words = String(term).toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    for (var i = 0; i < cards.length; i++) {
      var ok = true;
      for (var j = 0; j < words.length && ok; j++) {
        ok = texts[i].indexOf(words[j]) !== -1;
      }
      cards[i].hidden = !ok;
      if (ok) { shown++; }
    }
    count.textContent = shown + (shown === 1 ? " brick" : " bricks") +
      (words.length ? " match \u201c" + term + "\u201d" : "");
    return shown;
  }

  window.museokitSearch = search;
  input.addEventListener("input", function () { search(input.value); });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; search(q); }
})();
