// Budget ballot: progressive enhancement of the plain form; the server still checks the whole ballot.
// Knapsack: the money chosen and left as projects are ticked. Cumulative: the points given and left.
// Ranking: how many projects are ranked, and a warning for a rank given twice or missing.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-budget-ballot]");
  if (!form) return;
  const lang = document.documentElement.lang || undefined;
  const fill = (template, values) =>
    Object.entries(values).reduce((text, [key, value]) => text.replace(`%(${key})s`, value), template);

  const knapsack = () => {
    const out = document.getElementById("money-left");
    if (!out || !form.dataset.budget) return;
    const budget = Number(form.dataset.budget);
    const boxes = Array.from(form.querySelectorAll("input[type=checkbox][data-cost]"));
    const unit = out.dataset.unit || "";
    const fmt = (n) => `${n.toLocaleString(lang)}\u00a0${unit}`;
    const update = () => {
      const spent = boxes.filter((b) => b.checked).reduce((sum, b) => sum + Number(b.dataset.cost), 0);
      const left = budget - spent;
      let text = fill(out.dataset.template, { spent: fmt(spent), left: fmt(Math.max(left, 0)) });
      if (left < 0) text += " " + fill(out.dataset.over, { over: fmt(-left) });
      out.textContent = text;
      out.classList.toggle("over", left < 0);
      boxes.forEach((b) => {
        const li = b.closest("li");
        if (li) li.classList.toggle("does-not-fit", !b.checked && Number(b.dataset.cost) > left);
      });
    };
    boxes.forEach((b) => b.addEventListener("change", update));
    out.hidden = false;
    update();
  };

  const cumulative = () => {
    const out = document.getElementById("points-left");
    if (!out || !form.dataset.totalPoints) return;
    const total = Number(form.dataset.totalPoints);
    const max = Number(out.dataset.max);
    const inputs = Array.from(form.querySelectorAll("input[data-points]"));
    const value = (input) => {
      const n = Number(input.value);
      return Number.isInteger(n) && n > 0 ? n : 0;
    };
    const update = () => {
      const given = inputs.reduce((sum, input) => sum + value(input), 0);
      const left = total - given;
      let text = fill(out.dataset.template, {
        given: given.toLocaleString(lang), left: Math.max(left, 0).toLocaleString(lang),
      });
      if (left < 0) text += " " + fill(out.dataset.over, { over: (-left).toLocaleString(lang) });
      const tooMany = inputs.some((input) => value(input) > max);
      if (tooMany) text += " " + fill(out.dataset.tooMany, { max: max.toLocaleString(lang) });
      out.textContent = text;
      out.classList.toggle("over", left < 0 || tooMany);
      inputs.forEach((input) => input.setAttribute("aria-invalid", value(input) > max ? "true" : "false"));
    };
    inputs.forEach((input) => input.addEventListener("input", update));
    out.hidden = false;
    update();
  };

  const ranking = () => {
    const out = document.getElementById("ranks-status");
    if (!out) return;
    const selects = Array.from(form.querySelectorAll("select[data-rank]"));
    const update = () => {
      const ranks = selects.map((s) => Number(s.value)).filter((n) => n > 0);
      const counts = new Map();
      ranks.forEach((r) => counts.set(r, (counts.get(r) || 0) + 1));
      let text = fill(out.dataset.template, { k: String(ranks.length), n: out.dataset.places });
      const twice = [...counts.entries()].filter(([, c]) => c > 1).map(([r]) => r).sort((a, b) => a - b);
      if (twice.length) text += " " + fill(out.dataset.duplicate, { rank: String(twice[0]) });
      let gap = null;
      for (let r = 1; r <= ranks.length; r += 1) {
        if (!counts.has(r)) { gap = r; break; }
      }
      if (gap !== null) text += " " + fill(out.dataset.gap, { rank: String(gap) });
      out.textContent = text;
      out.classList.toggle("over", twice.length > 0 || gap !== null);
    };
    selects.forEach((s) => s.addEventListener("change", update));
    out.hidden = false;
    update();
  };

  if (form.dataset.kind === "cumulative") cumulative();
  else if (form.dataset.kind === "ranking") ranking();
  else knapsack();
});
