// Print and back buttons of the printable pages (hall_print_layout.html), without inline handlers so that
// the Content-Security-Policy can say script-src 'self': <button data-print> and <a data-back>.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
document.querySelectorAll("[data-back]").forEach(function (link) {
  link.addEventListener("click", function (event) { event.preventDefault(); history.back(); });
});
