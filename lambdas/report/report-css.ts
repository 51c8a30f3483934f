/** The report's stylesheet, inlined into the page: system fonts, a restrained palette, print rules. */
export const REPORT_CSS = `
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--accent:#2563eb;--good:#2f8f5b;--bad:#c2410c}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1160px;margin:0 auto;padding:32px 24px 48px}
h1{font-size:28px;line-height:1.2;margin:0 0 6px;font-weight:650;letter-spacing:-0.01em}
h2{font-size:18px;margin:0 0 12px;font-weight:650}
h3{font-size:14px;margin:20px 0 8px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.eyebrow{margin:0 0 4px;color:var(--accent);font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.08em}
.sub,.note,.muted,footer{color:var(--muted)}
.note{margin:-4px 0 12px;font-size:13px}
.page-head{margin-bottom:24px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 22px;margin:0 0 20px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px;background:none;border:0;padding:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.card-label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card-value{font-size:26px;font-weight:650;margin:4px 0 2px;font-variant-numeric:tabular-nums}
.card-value.good{color:var(--good)}.card-value.bad{color:var(--bad)}
.card-note{font-size:12px;color:var(--muted)}
figure{margin:0}
figcaption{font-weight:600;margin-bottom:6px}
.chart svg{display:block;height:auto}
.split{display:grid;grid-template-columns:minmax(0,3fr) minmax(220px,1fr);gap:24px;align-items:start}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:24px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding-bottom:6px}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em;border-bottom:2px solid var(--line)}
tbody th{font-weight:600}
.num{text-align:right;white-space:nowrap}
.compact th{font-weight:400;color:var(--muted)}
.narrow{max-width:760px}
.pos{color:var(--good)}.neg{color:var(--bad)}
.scroll{overflow-x:auto}
.heatmap td,.heatmap th{text-align:center;padding:6px 8px;min-width:64px;border:1px solid #fff;font-size:12px}
.heatmap tbody th{text-align:left;white-space:nowrap}
.heat-empty{background:#fafbfc}
.bar-cell{width:40%}
.bar{display:inline-block;height:10px;border-radius:5px;background:var(--bad);opacity:.75;min-width:2px}
.at-risk td{padding-top:10px;padding-bottom:10px}
.reasons{margin:0;padding-left:16px}
.reasons li{margin:0 0 3px}
.code{display:inline-block;font:11px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef2f7;color:var(--muted);border-radius:4px;padding:0 5px;margin-right:4px}
.tags{margin-top:4px}
.tag{display:inline-block;font-size:11px;border:1px solid var(--line);border-radius:10px;padding:0 7px;margin:0 4px 2px 0;color:var(--muted)}
.id{font-size:12px}
.score{display:inline-block;min-width:36px;text-align:center;border-radius:12px;padding:1px 8px;font-weight:650;color:#fff}
.risk-high{background:#b91c1c}.risk-mid{background:#d97706}.risk-low{background:#6b7280}
.count{display:inline-block;font-size:13px;background:#fde8e1;color:var(--bad);border-radius:10px;padding:0 8px;vertical-align:2px}
.spark svg{display:block;margin-bottom:2px}
.owner{font-size:12px;color:var(--muted);margin-top:4px;overflow-wrap:anywhere}
.at-risk td:first-child{min-width:220px;max-width:300px;overflow-wrap:anywhere}
thead th.num{white-space:normal}
.empty{color:var(--muted);font-style:italic}
footer{font-size:12px;margin-top:24px}
@media (max-width:760px){.split{grid-template-columns:1fr}}
@media print{
  body{background:#fff;font-size:11px}
  main{max-width:none;padding:0}
  section,.card{border-color:#ccc}
  .card,figure,tr,h2,h3{break-inside:avoid;page-break-inside:avoid}
  h2,h3{break-after:avoid;page-break-after:avoid}
  .scroll{overflow:visible}
  thead{display:table-header-group}
}
`;
