// Ranked ballot: progressive enhancement of the plain form (one rank select per option).
// Adds an ordered list with "Move up" / "Move down" / "Remove" buttons (keyboard) and
// drag-and-drop (mouse, touch). The hidden selects stay the form's real fields, so the server
// receives and validates exactly what the no-JavaScript form would send.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-ranked-ballot]");
  const textsNode = document.getElementById("ranked-ballot-texts");
  if (!form || !textsNode) return;
  const t = textsNode.dataset;
  const rows = Array.from(form.querySelectorAll("tr[data-option]"));
  const options = rows.map((row, index) => ({
    id: row.dataset.option,
    index,
    label: row.querySelector("label").textContent.trim(),
    select: row.querySelector("select"),
  }));
  // Start from what the selects say (e.g. after a refused ballot), ties kept in ballot order.
  let ranked = options
    .filter((o) => o.select.value !== "")
    .sort((a, b) => Number(a.select.value) - Number(b.select.value) || a.index - b.index);

  const ranker = document.createElement("div");
  ranker.className = "ranker";
  const help = document.createElement("p");
  help.className = "help";
  help.id = "ranker-help";
  help.textContent = t.help;
  const rankedHeading = document.createElement("h2");
  rankedHeading.id = "ranker-ranked";
  rankedHeading.textContent = t.ranked;
  const rankedList = document.createElement("ol");
  rankedList.className = "ranked-list";
  rankedList.setAttribute("aria-labelledby", "ranker-ranked");
  rankedList.setAttribute("aria-describedby", "ranker-help");
  const unrankedHeading = document.createElement("h2");
  unrankedHeading.id = "ranker-unranked";
  unrankedHeading.textContent = t.unranked;
  const unrankedList = document.createElement("ul");
  unrankedList.className = "unranked-list";
  unrankedList.setAttribute("aria-labelledby", "ranker-unranked");
  const live = document.createElement("p");
  live.className = "visually-hidden";
  live.setAttribute("aria-live", "polite");
  ranker.append(help, rankedHeading, rankedList, unrankedHeading, unrankedList, live);
  const table = form.querySelector(".rank-table");
  table.hidden = true;
  table.after(ranker);
  form.classList.add("is-enhanced");

  const format = (text, values) => text.replace(/%\((\w+)\)s/g, (_m, key) => values[key]);
  let dragged = null;

  function button(text, label, action, id, disabled) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small";
    b.textContent = text;
    b.setAttribute("aria-label", `${text}: ${label}`);
    b.dataset.action = action;
    b.dataset.option = id;
    b.disabled = Boolean(disabled);
    return b;
  }

  function sync() {
    for (const o of options) {
      const position = ranked.indexOf(o);
      o.select.value = position >= 0 ? String(position + 1) : "";
    }
  }

  function render(focus) {
    sync();
    rankedList.replaceChildren();
    unrankedList.replaceChildren();
    if (!ranked.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = t.empty;
      rankedList.append(empty);
    }
    ranked.forEach((o, i) => {
      const li = document.createElement("li");
      li.draggable = true;
      li.dataset.option = o.id;
      li.className = "ranked-item";
      const name = document.createElement("span");
      name.className = "ranked-label";
      name.textContent = o.label;
      li.append(
        name,
        button(t.up, o.label, "up", o.id, i === 0),
        button(t.down, o.label, "down", o.id, i === ranked.length - 1),
        button(t.remove, o.label, "remove", o.id),
      );
      rankedList.append(li);
    });
    for (const o of options.filter((x) => !ranked.includes(x))) {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "ranked-label";
      name.textContent = o.label;
      li.append(name, button(t.add, o.label, "add", o.id));
      unrankedList.append(li);
    }
    if (focus) {
      const target =
        ranker.querySelector(`button[data-option="${focus.id}"][data-action="${focus.action}"]:not(:disabled)`) ||
        ranker.querySelector(`button[data-option="${focus.id}"]:not(:disabled)`);
      if (target) target.focus();
    }
  }

  function announce(o) {
    const position = ranked.indexOf(o);
    live.textContent =
      position >= 0 ? format(t.moved, { option: o.label, rank: position + 1 }) : format(t.removed, { option: o.label });
  }

  ranker.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-action]");
    if (!b) return;
    const o = options.find((x) => x.id === b.dataset.option);
    const i = ranked.indexOf(o);
    const action = b.dataset.action;
    if (action === "up" && i > 0) [ranked[i - 1], ranked[i]] = [ranked[i], ranked[i - 1]];
    if (action === "down" && i >= 0 && i < ranked.length - 1) [ranked[i + 1], ranked[i]] = [ranked[i], ranked[i + 1]];
    if (action === "remove") ranked = ranked.filter((x) => x !== o);
    if (action === "add") ranked.push(o);
    render({ id: o.id, action: action === "add" ? "remove" : action === "remove" ? "add" : action });
    announce(o);
  });

  rankedList.addEventListener("dragstart", (event) => {
    const li = event.target.closest("li[data-option]");
    if (!li) return;
    dragged = options.find((x) => x.id === li.dataset.option);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.label);
    li.classList.add("is-dragging");
  });
  rankedList.addEventListener("dragover", (event) => {
    if (dragged) event.preventDefault();
  });
  rankedList.addEventListener("drop", (event) => {
    event.preventDefault();
    const li = event.target.closest("li[data-option]");
    if (!dragged) return;
    const target = li ? options.find((x) => x.id === li.dataset.option) : null;
    ranked = ranked.filter((x) => x !== dragged);
    const at = target ? ranked.indexOf(target) : ranked.length;
    ranked.splice(at < 0 ? ranked.length : at, 0, dragged);
    const moved = dragged;
    dragged = null;
    render();
    announce(moved);
  });
  rankedList.addEventListener("dragend", () => {
    dragged = null;
    render();
  });

  render();
});
