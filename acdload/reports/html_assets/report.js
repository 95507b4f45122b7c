"use strict";
// Sorting and filtering of the events table. The rows come from the JSON block above and
// are written with textContent only: nothing in them is ever parsed as markup.
(() => {
  const PAGE = 500;
  const data = JSON.parse(document.getElementById("acdload-data").textContent);
  const columns = data.columns;
  const rows = data.rows;
  const body = document.querySelector("#events-table tbody");
  const select = document.getElementById("filter-outcome");
  const search = document.getElementById("filter-text");
  const shown = document.getElementById("shown");
  const more = document.getElementById("more");
  const headers = Array.from(document.querySelectorAll("#events-table th"));
  const counts = Array.from(document.querySelectorAll(".count"));
  const state = { outcome: "", text: "", column: null, descending: false, limit: PAGE };
  const haystack = rows.map((row) =>
    columns.map((c) => (row[c.name] == null ? "" : String(row[c.name]))).join("\n").toLowerCase()
  );
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function number(a, b) {
    if (a == null || b == null) return (a == null) - (b == null);
    return a - b;
  }

  function compare(column, a, b) {
    if (column.sort === "number") return number(a[column.name], b[column.name]);
    if (column.sort === "where") return collator.compare(a.file, b.file) || a.line - b.line;
    return collator.compare(String(a[column.name] ?? ""), String(b[column.name] ?? ""));
  }

  function picked() {
    const text = state.text.trim().toLowerCase();
    const chosen = [];
    rows.forEach((row, i) => {
      if (state.outcome && row.outcome !== state.outcome) return;
      if (text && !haystack[i].includes(text)) return;
      chosen.push(i);
    });
    const column = columns.find((c) => c.name === state.column);
    if (column) {
      const sign = state.descending ? -1 : 1;
      chosen.sort((i, j) => sign * compare(column, rows[i], rows[j]) || i - j);
    }
    return chosen;
  }

  function line(row) {
    const tr = document.createElement("tr");
    tr.dataset.outcome = row.outcome;
    for (const column of columns) {
      const td = document.createElement("td");
      const value = row[column.name];
      td.textContent = value == null ? "" : String(value);
      td.className = "c-" + column.name;
      if (column.name === "outcome") td.classList.add("status", "o-" + row.outcome);
      tr.appendChild(td);
    }
    return tr;
  }

  function render() {
    const chosen = picked();
    const fragment = document.createDocumentFragment();
    for (const i of chosen.slice(0, state.limit)) fragment.appendChild(line(rows[i]));
    body.replaceChildren(fragment);
    shown.textContent =
      chosen.length === rows.length
        ? `${rows.length} events`
        : `${chosen.length} of ${rows.length} events`;
    const rest = chosen.length - state.limit;
    more.hidden = rest <= 0;
    more.textContent = `Show ${Math.min(rest, PAGE)} more (${rest} not shown)`;
    for (const button of counts) {
      button.classList.toggle("active", button.dataset.outcome === state.outcome);
    }
    for (const th of headers) {
      const name = th.querySelector("button").dataset.column;
      const sorted = name === state.column;
      th.setAttribute("aria-sort", sorted ? (state.descending ? "descending" : "ascending") : "none");
    }
  }

  function filterBy(outcome) {
    state.outcome = outcome;
    state.limit = PAGE;
    select.value = outcome;
    render();
  }

  select.addEventListener("change", () => filterBy(select.value));
  search.addEventListener("input", () => {
    state.text = search.value;
    state.limit = PAGE;
    render();
  });
  for (const button of counts) {
    button.addEventListener("click", () => {
      const outcome = button.dataset.outcome;
      filterBy(state.outcome === outcome ? "" : outcome);
      document.getElementById("events").scrollIntoView();
    });
  }
  for (const th of headers) {
    th.querySelector("button").addEventListener("click", (event) => {
      const name = event.currentTarget.dataset.column;
      state.descending = state.column === name ? !state.descending : false;
      state.column = name;
      render();
    });
  }
  more.addEventListener("click", () => {
    state.limit += PAGE;
    render();
  });
  // A printed report lists every event that the filter shows, not only the first page.
  window.addEventListener("beforeprint", () => {
    state.limit = Infinity;
    render();
  });
  render();
})();
