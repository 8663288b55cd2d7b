// The e-SSC page's dynamic QR (card_essc.html), moved out of an inline <script> so that the
// Content-Security-Policy can say script-src 'self'. The code lifetime comes from data-seconds on #essc-qr.
(function () {
  var box = document.getElementById("essc-qr");
  if (!box) { return; }
  var seconds = parseInt(box.dataset.seconds || "60", 10), left = 0, timer = null;
  var img = document.getElementById("essc-img"), count = document.getElementById("essc-countdown");
  var error = document.getElementById("essc-error"), status = document.getElementById("essc-status");
  function tick() {
    left -= 1;
    if (left <= 0) { load(); return; }
    count.textContent = left + " 秒后自动刷新";
  }
  function load() {
    clearInterval(timer);
    fetch(box.dataset.codeUrl || "/api/v1/card/me/essc/code", {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) {
        if (!res.ok) { error.hidden = false; error.textContent = res.body.detail || "二维码暂不可用"; img.removeAttribute("src"); delete img.dataset.code; count.textContent = ""; status.textContent = ""; return; }
        error.hidden = true;
        img.src = res.body.svg_data_uri;
        img.dataset.code = res.body.code;
        left = res.body.valid_seconds || seconds;
        count.textContent = left + " 秒后自动刷新";
        // the countdown itself is not a live region (it would be read out every second): announce new codes only
        status.textContent = "二维码已更新，" + left + " 秒内有效";
        timer = setInterval(tick, 1000);
      })
      .catch(function () { error.hidden = false; error.textContent = "网络异常，请稍后点击“立即刷新”"; });
  }
  document.getElementById("essc-refresh").addEventListener("click", load);
  if (navigator.wakeLock) { navigator.wakeLock.request("screen").catch(function () {}); }
  load();
})();
