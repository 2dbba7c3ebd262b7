// Reading what people type: full-width digits, several date spellings.

/** Full-width ASCII (０１２ＡＢ) to half-width, ideographic space to space, trimmed. */
export function normalizeAscii(s: string): string {
  return s
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .trim();
}

/** 19580315, 1958-03-15, 1958/3/15, 1958.3.15, 1958年3月15日 → 1958-03-15; null if not a real date. */
export function normalizeDate(input: string): string | null {
  const s = normalizeAscii(input);
  let y: number, m: number, d: number;
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  const parts = s.split(/[-/.年月日\s]+/).filter((p) => p.length > 0);
  if (compact) {
    [y, m, d] = [Number(compact[1]), Number(compact[2]), Number(compact[3])];
  } else if (parts.length === 3 && parts.every((p) => /^\d+$/.test(p)) && parts[0].length === 4) {
    [y, m, d] = parts.map(Number) as [number, number, number];
  } else {
    return null;
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The record number grouped 6-3-3-5 for reading. */
export function groupRecordNo(no: string): string {
  return no.length === 17 ? `${no.slice(0, 6)} ${no.slice(6, 9)} ${no.slice(9, 12)} ${no.slice(12)}` : no;
}

/** True while an input method (pinyin IME) is still composing: the text is not final yet. */
export function isComposing(e: Event): boolean {
  return 'isComposing' in e && (e as InputEvent).isComposing;
}

/** Today's date on this computer, as YYYY-MM-DD. */
export function todayIso(): string {
  return new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}
