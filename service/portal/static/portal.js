// Tanji portal: a little progressive enhancement. Every page works without it.
(function () {
  "use strict";

  // Job page: poll the job's JSON and open the result when it is ready.
  function followJob(box) {
    var url = box.getAttribute("data-status-url");
    var stateEl = document.getElementById("job-state");
    var bar = document.getElementById("job-progress");
    var percent = document.getElementById("job-percent");
    var errorEl = document.getElementById("job-error");
    var labels = {};
    try { labels = JSON.parse(stateEl.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (job) {
          bar.value = job.progress;
          percent.textContent = job.progress + " %";
          stateEl.textContent = labels[job.state] || job.state;
          box.setAttribute("data-state", job.state);
          if (job.state === "succeeded" && job.result_url) {
            window.location.assign(job.result_url);
          } else if (job.state === "failed") {
            errorEl.textContent = job.error || "";
            errorEl.classList.remove("hidden");
          } else {
            window.setTimeout(tick, 1000);
          }
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    var state = box.getAttribute("data-state");
    if (state === "queued" || state === "running") { window.setTimeout(tick, 500); }
  }

  // Review page: add an empty row to the editable table.
  function addRow(button) {
    var body = document.querySelector("#review-rows tbody");
    var last = body && body.lastElementChild;
    if (!last) { return; }
    var row = last.cloneNode(true);
    var number = parseInt(last.getAttribute("data-row") || "1", 10) + 1;
    row.setAttribute("data-row", String(number));
    row.classList.remove("bad-row");
    row.querySelector("th").textContent = String(number);
    row.querySelectorAll("td").forEach(function (td) { td.classList.remove("bad"); });
    row.querySelectorAll(".issue").forEach(function (el) { el.remove(); });
    row.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.removeAttribute("aria-invalid");
    });
    body.appendChild(row);
    row.querySelector("input").focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var job = document.getElementById("job");
    if (job) { followJob(job); }
    var add = document.getElementById("add-row");
    if (add) { add.addEventListener("click", function () { addRow(add); }); }
  });
})();
