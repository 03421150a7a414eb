"""`museokit report`: the evaluation of a period drawn for a museum.

`figures.py` turns metrics into named tables and plots (matplotlib, imported only
here), `html.py` writes one self-contained HTML page (SVG inline, no network),
`pdf.py` the same pages as a PDF, `tables.py` CSV and JSON of every metric;
`labels.py` has the French and English words; `command.py` is the command.
"""
