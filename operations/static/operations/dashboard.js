// Moves the dashboard's sync-job bars without a page reload: every two seconds it fetches the
// progress JSON (admin/dashboard/sync-progress.json, staff only) and redraws the rows. Values
// are written with textContent, never as HTML.
(function () {
  "use strict";
  var POLL_MS = 2000;

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function jobRow(job) {
    var row = document.createElement("tr");
    row.dataset.jobId = job.id;
    cell(row, job.integration);
    var typeCell = cell(row, "");
    var link = document.createElement("a");
    link.href = "syncjobs/syncjob/" + job.id + "/change/";
    link.textContent = job.job_type;
    typeCell.appendChild(link);
    cell(row, "", "vh-job-status");
    var progress = cell(row, "", "vh-job-progress");
    var bar = document.createElement("div");
    bar.className = "vh-bar";
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    var fill = document.createElement("div");
    fill.className = "vh-bar-fill";
    bar.appendChild(fill);
    progress.appendChild(bar);
    var percent = document.createElement("span");
    percent.className = "vh-job-percent";
    progress.appendChild(percent);
    progress.appendChild(document.createTextNode(" "));
    var message = document.createElement("span");
    message.className = "vh-job-message";
    progress.appendChild(message);
    cell(row, "", "vh-job-records");
    return row;
  }

  function update(row, job) {
    row.dataset.status = job.status;
    row.querySelector(".vh-job-status").textContent = job.status;
    var bar = row.querySelector(".vh-bar");
    var known = job.percent !== null && job.percent !== undefined;
    // An unknown total (null percent): an indeterminate bar, and the label says how many so far.
    bar.classList.toggle("vh-bar-unknown", !known);
    if (known) {
      bar.setAttribute("aria-valuenow", String(job.percent));
      bar.removeAttribute("aria-valuetext");
      row.querySelector(".vh-bar-fill").style.width = job.percent + "%";
    } else {
      bar.removeAttribute("aria-valuenow");
      bar.setAttribute("aria-valuetext", job.label);
      row.querySelector(".vh-bar-fill").style.width = "";
    }
    row.querySelector(".vh-job-percent").textContent = job.label;
    row.querySelector(".vh-job-message").textContent = job.message;
    row.querySelector(".vh-job-records").textContent = String(job.records_processed);
  }

  function render(root, jobs) {
    var section = root.querySelector("#vh-sync-jobs");
    var tbody = section.querySelector("#vh-job-rows");
    var existing = {};
    Array.prototype.forEach.call(tbody.querySelectorAll("tr[data-job-id]"), function (row) {
      existing[row.dataset.jobId] = row;
    });
    jobs.forEach(function (job, index) {
      var row = existing[job.id] || jobRow(job);
      delete existing[job.id];
      update(row, job);
      if (tbody.children[index] !== row) tbody.insertBefore(row, tbody.children[index] || null);
    });
    Object.keys(existing).forEach(function (id) { existing[id].remove(); });
    section.querySelector("table").hidden = jobs.length === 0;
    section.querySelector(".vh-empty").hidden = jobs.length !== 0;
  }

  function start() {
    var root = document.getElementById("vh-dashboard");
    if (!root) return;
    var url = root.dataset.progressUrl;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) { if (body) render(root, body.jobs); })
        .catch(function () { /* the next poll tries again */ })
        .then(function () { window.setTimeout(poll, POLL_MS); });
    }
    window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
