// The advanced trace controls (OLMoTrace's options): read, checked against their ranges, put
// back from a shared URL, and named by their labels in messages.

/** The <details> element holding the controls. */
function advanced() {
  return document.getElementById('advanced');
}

/** The advanced controls that were set (empty fields keep OLMoTrace's defaults). */
export function advancedOptions() {
  const out = {};
  for (const input of advanced().querySelectorAll('[data-opt]')) {
    const name = input.dataset.opt;
    const kind = input.dataset.kind;
    if (kind === 'bool') {
      if (input.checked) out[name] = true;
      continue;
    }
    const v = String(input.value ?? '').trim();
    if (!v) continue;
    // The number as typed: parseInt read "1e6" as 1 and "2.5" as 2 (another trace than the
    // one asked for); a number that is not whole is the server's to refuse, in words.
    if (kind === 'int' || kind === 'float') out[name] = Number(v);
    else if (kind === 'list') out[name] = listItems(v);
    else out[name] = v;
  }
  return out;
}

/** The label of an advanced control. */
export function optionLabel(input) {
  return document.querySelector(`label[for="${input.id}"]`)?.textContent.trim() || input.dataset.opt;
}

/**
 * What is wrong with a control's value against its range, in words ('' when nothing). A
 * number that is not whole is the server's to refuse (it says so), as is one between steps.
 */
export function rangeProblem(input) {
  const v = input.validity;
  if (v.badInput) return 'is not a number';
  if (v.rangeUnderflow) return `must be at least ${input.min}`;
  if (v.rangeOverflow) return `must be at most ${input.max}`;
  return '';
}

/**
 * Marks each advanced control invalid or not by its own range (`aria-invalid`); returns the
 * first invalid one, or null.
 */
export function markInvalidOptions() {
  let first = null;
  for (const input of advanced().querySelectorAll('input[data-opt]')) {
    const ok = rangeProblem(input) === '';
    if (ok) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
    if (!ok && !first) first = input;
  }
  return first;
}

/** A server message with the API names of the advanced controls given as their labels. */
export function withOptionLabels(message) {
  let out = message;
  for (const input of advanced().querySelectorAll('[data-opt]')) {
    out = out.split(input.dataset.opt).join(`“${optionLabel(input)}”`);
  }
  return out;
}

/**
 * The items of a comma-separated list field, read character by character: `\n` is a newline,
 * `\,` a comma and `\\` a backslash (so that any text can be an item); a backslash before
 * anything else is itself; empty items are dropped.
 */
function listItems(v) {
  const items = [];
  let cur = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\' && i + 1 < v.length && 'n,\\'.includes(v[i + 1])) {
      const next = v[++i];
      cur += next === 'n' ? '\n' : next;
    } else if (c === ',') {
      items.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  items.push(cur);
  return items.filter((t) => t.length);
}

/** A list item as typed in its field (the inverse of `listItems`). */
function listItemText(t) {
  return t.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/,/g, '\\,');
}

/**
 * A value of a shared URL's options as text. The URL may hold any JSON: String() would
 * throw on an object like {"toString": 1}, and only strings have .replace.
 */
function optionText(v) {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}

/** Put options (from a shared URL) back into the advanced controls. */
export function setAdvancedOptions(options) {
  const opts = options || {};
  for (const input of advanced().querySelectorAll('[data-opt]')) {
    const v = opts[input.dataset.opt];
    if (input.dataset.kind === 'bool') input.checked = v === true;
    else if (input.dataset.kind === 'list') input.value = Array.isArray(v) ? v.map((t) => listItemText(optionText(t))).join(',') : '';
    else input.value = v === undefined || v === null ? '' : optionText(v);
  }
  if (Object.keys(opts).length) advanced().open = true;
}

/** The advanced controls as they stand, as a comparable string. */
export function formOptionsKey() {
  return JSON.stringify(Object.entries(advancedOptions()).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
