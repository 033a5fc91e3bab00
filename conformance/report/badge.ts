// The badge: an SVG in the flat shields.io style and the shields.io "endpoint" JSON
// (https://shields.io/badges/endpoint-badge), e.g. "im2000 smtp-submission | 87/87 MUST".

import type { CaseResult, Level } from "../case.ts";
import { htmlEscape } from "./html.ts";

export interface Badge {
  readonly label: string;
  readonly message: string;
  readonly color: string;
}

/** Counts the cases at `level` (MUST by default) that ran, and how many passed. */
export function badgeFor(results: readonly CaseResult[], level: Level = "MUST"): Badge {
  const suites = [...new Set(results.map((r) => r.suite))];
  const at = results.filter((r) => r.level === level && r.status !== "skip");
  const passed = at.filter((r) => r.status === "pass" || r.status === "xpass").length;
  const color = at.length === 0 ? "lightgrey" : passed === at.length ? "brightgreen" : passed / at.length >= 0.9 ? "yellow" : "red";
  return { label: `im2000 ${suites.join("+") || "conformance"}`, message: `${passed}/${at.length} ${level}`, color };
}

const COLORS: Record<string, string> = { brightgreen: "#4c1", yellow: "#dfb317", red: "#e05d44", lightgrey: "#9f9f9f" };

/** Text width in px at 11px Verdana, close enough for a badge. */
function width(s: string): number {
  let w = 0;
  for (const c of s) w += /[ilj.,:;|!'1]/.test(c) ? 3.5 : /[mwMW]/.test(c) ? 9.5 : /[A-Z0-9]/.test(c) ? 7.5 : 6.5;
  return Math.ceil(w) + 10;
}

export function badgeSvg(b: Badge): string {
  const lw = width(b.label);
  const mw = width(b.message);
  const total = lw + mw;
  const fill = COLORS[b.color] ?? b.color;
  const label = htmlEscape(b.label);
  const message = htmlEscape(b.message);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="${label}: ${message}">
<title>${label}: ${message}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${total}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${fill}"/><rect width="${total}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${label}</text><text x="${lw / 2}" y="14">${label}</text>
<text x="${lw + mw / 2}" y="15" fill="#010101" fill-opacity=".3">${message}</text><text x="${lw + mw / 2}" y="14">${message}</text>
</g>
</svg>
`;
}

export function badgeEndpointJson(b: Badge): string {
  return `${JSON.stringify({ schemaVersion: 1, label: b.label, message: b.message, color: b.color })}\n`;
}
