// Small DOM helpers shared by the page's modules.
import { el } from './render.js';

export const $ = (id) => document.getElementById(id);

/** Show a plain-words message in an alert region (role="alert" announces it). */
export function showError(region, message) {
  region.replaceChildren(
    el('span', { class: 'alert-icon', 'aria-hidden': 'true' }, '!'),
    el('p', null, message),
  );
}

export function clearError(region) {
  region.replaceChildren();
}

/**
 * Busy state: button disabled with a spinner, regions marked aria-busy. A button that had the
 * keyboard focus gets it back when the work ends (disabling it sent the focus to the page).
 */
export function setBusy(button, regions, busy, busyLabel, idleLabel) {
  // Recorded when it becomes busy (a second call while busy would find the focus lost).
  if (busy && !button.disabled) {
    button.dataset.hadFocus = String(document.activeElement === button);
  }
  button.disabled = busy;
  if (!busy && button.dataset.hadFocus === 'true') {
    delete button.dataset.hadFocus;
    const lost = !document.activeElement || document.activeElement === document.body;
    if (lost) button.focus({ preventScroll: true });
  }
  button.classList.toggle('is-busy', busy);
  button.querySelector('.btn-label').textContent = busy ? busyLabel : idleLabel;
  for (const r of [].concat(regions)) r.setAttribute('aria-busy', String(busy));
}

/** The chosen index of a picker, or '' when the picker is hidden (one index). */
export function selectedIndex(select, field) {
  return field.hidden || !select.value ? '' : select.value;
}
