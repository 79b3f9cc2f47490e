// Panels: live quota feasibility and the draw's progress. Progressive enhancement only:
// the quotas page has a "Check feasibility" button and the progress page refreshes itself without it.
"use strict";

function renderFeasibility(box, report) {
  box.replaceChildren();
  const line = document.createElement("p");
  if (report.error) {
    line.className = "infeasible";
    line.textContent = report.error;
    box.append(line);
    return;
  }
  line.className = report.feasible ? "feasible" : "infeasible";
  const strong = document.createElement("strong");
  strong.textContent = report.feasible ? box.dataset.ok : box.dataset.bad;
  line.append(strong, ": " + report.summary);
  box.append(line);
  const list = (items, className) => {
    if (!items || !items.length) return;
    const ul = document.createElement("ul");
    ul.className = className;
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = item;
      ul.append(li);
    }
    box.append(ul);
  };
  list(report.conflicts, "conflicts");
  if (report.suggestions && report.suggestions.length) {
    const heading = document.createElement("p");
    heading.textContent = box.dataset.suggestions;
    box.append(heading);
  }
  list(report.suggestions, "suggestions");
}

function liveQuotas(form) {
  const box = document.getElementById("feasibility");
  if (!box || !form.dataset.checkUrl) return;
  let timer = null;
  let sequence = 0;
  const check = async () => {
    const mine = ++sequence;
    box.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.dataset.checkUrl, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: {"Accept": "application/json"},
      });
      const report = await response.json();
      if (mine === sequence) renderFeasibility(box, report);
    } catch (error) {
      // Leave the last report; the "Check feasibility" button still works.
    } finally {
      if (mine === sequence) box.removeAttribute("aria-busy");
    }
  };
  form.addEventListener("input", (event) => {
    if (!event.target.classList.contains("quota-input")) return;
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
}

function followDraw(box) {
  const bar = document.getElementById("draw-progress-bar");
  const percent = document.getElementById("draw-progress-percent");
  const status = document.getElementById("draw-progress-status");
  const link = document.getElementById("draw-result-link");
  const poll = async () => {
    let job;
    try {
      const response = await fetch(box.dataset.statusUrl, {credentials: "same-origin", cache: "no-store"});
      job = await response.json();
    } catch (error) {
      setTimeout(poll, 3000);
      return;
    }
    const value = Math.round(100 * job.progress);
    bar.value = value;
    bar.textContent = value + " %";
    percent.textContent = value + " %";
    if (job.status === "done") {
      status.textContent = box.dataset.doneText;
      link.hidden = false;
      if (job.result_url) window.location.assign(job.result_url);
      return;
    }
    if (job.status === "failed") {
      status.textContent = box.dataset.failedText + " " + job.error;
      return;
    }
    if (job.message) status.textContent = job.message;
    setTimeout(poll, 1000);
  };
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("quotas-form");
  if (form) liveQuotas(form);
  const box = document.getElementById("draw-progress");
  if (box && box.dataset.statusUrl) followDraw(box);
});
