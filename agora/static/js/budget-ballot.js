// Budget ballot: progressive enhancement of the plain checkbox form. Shows the money chosen and
// the money left as projects are ticked; the server still checks the whole ballot.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-budget-ballot]");
  const out = document.getElementById("money-left");
  if (!form || !out || !form.dataset.budget) return;
  const budget = Number(form.dataset.budget);
  const boxes = Array.from(form.querySelectorAll("input[type=checkbox][data-cost]"));
  const unit = out.dataset.unit || "";
  const fmt = (n) => `${n.toLocaleString(document.documentElement.lang || undefined)}\u00a0${unit}`;
  const update = () => {
    const spent = boxes.filter((b) => b.checked).reduce((sum, b) => sum + Number(b.dataset.cost), 0);
    const left = budget - spent;
    let text = out.dataset.template.replace("%(spent)s", fmt(spent)).replace("%(left)s", fmt(Math.max(left, 0)));
    if (left < 0) text += " " + out.dataset.over.replace("%(over)s", fmt(-left));
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
});
