"""Model evaluation statistics: the Python side of ``mledojo eval elo|agreement|curves|report``.

``mledojo eval run`` (Swift) plays models on tasks and fills the results database described in
protocol/evaluation.md; this package only reads it. ../shared/EVALUATION.md has the method.

- :mod:`.results`   the database → best-of-runs table, task sets, step scores, run totals
- :mod:`.elo`       pairwise games, Bradley–Terry maximum likelihood, Elo, bootstrap intervals
- :mod:`.agreement` Pearson, Spearman, Kendall τ-b, CCC, top-k, Bland–Altman, α, ICC(2,1)
- :mod:`.curves`    best-so-far step curves per category
- :mod:`.plots`     SVG + PNG figures (matplotlib, Agg)
- :mod:`.report`    report.md + report.json + figures
- ``python -m mledojo.evaluation``  the CLI (exit 2 with a message on bad input)
"""

from .results import EvaluationError

__all__ = ["EvaluationError"]
