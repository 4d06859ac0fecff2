"""Ordered label sets: when a categorical target is ordinal, and in which order.

Three sources, first match wins: the README's task line (``ordinal VF<F<M<L``), a known scale
of words (poor < fair < average < good < excellent; low < medium < high; small < medium <
large; ...) containing every label, or integer labels of a column named like a rating.
Labels are compared case-insensitively with ``_``, ``-`` and spaces alike.
"""

import re
from typing import Optional, Sequence

SCALES = (
    ("very_poor", "poor", "fair", "below_average", "average", "typical", "above_average", "good",
     "very_good", "excellent", "very_excellent"),
    ("fair", "good", "very_good", "premium", "ideal"),
    ("very_low", "low", "medium", "moderate", "high", "very_high"),
    ("very_small", "extra_small", "small", "medium", "large", "extra_large", "very_large"),
    ("xs", "s", "m", "l", "xl", "xxl"),
    ("never", "rarely", "sometimes", "often", "always"),
    ("strongly_disagree", "disagree", "neutral", "agree", "strongly_agree"),
    ("none", "minimal", "mild", "moderate", "severe", "critical"),
    ("very_bad", "bad", "neutral", "okay", "good", "very_good"),
)
RATING_NAME = re.compile(r"rating|grade|rank|level|stars?|score|quality|severity|stage", re.I)


def normalise(label) -> str:
    return re.sub(r"[\s_-]+", "_", str(label).strip().lower())


def scale_order(labels: Sequence[str]) -> Optional[list]:
    """``labels`` sorted along the first known scale that holds all of them (None if none)."""
    keys = {normalise(label): str(label) for label in labels}
    if len(keys) != len(labels) or len(keys) < 3:
        return None
    for scale in SCALES:
        if set(keys) <= set(scale):
            return [keys[word] for word in scale if word in keys]
    return None


def ordinal_order(name: str, labels: Sequence[str], readme_order: Sequence[str] = (),
                  integer_labels: bool = False) -> Optional[list]:
    """The labels in increasing order when the column is ordinal, else None."""
    labels = [str(label) for label in labels]
    if len(labels) < 3:
        return None
    if readme_order and set(readme_order) == set(labels):
        return list(readme_order)
    order = scale_order(labels)
    if order:
        return order
    if integer_labels and RATING_NAME.search(name) and len(labels) <= 15:
        return sorted(labels, key=lambda v: float(v))
    return None
