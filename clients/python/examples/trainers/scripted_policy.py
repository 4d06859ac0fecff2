"""The stand-in "model" of the trainer examples: scripted turns, no LLM.

A real trainer samples these texts from the policy being trained; the examples script them so an
episode is reproducible: a Python block that trains a small classifier on penguins-species and
writes ``submission.csv`` (graded by ``execute_code``), then ``done`` (``close``).
"""

from __future__ import annotations

import argparse

SOLUTION = """\
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

train = pd.read_csv('/data/train.csv')
test = pd.read_csv('/data/test.csv')
features = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']
X = train[features].fillna(train[features].mean())
model = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, train['species'])
pred = model.predict(test[features].fillna(train[features].mean()))
pd.DataFrame({'id': test['id'], 'species': pred}).to_csv('submission.csv', index=False)
print('wrote', len(pred), 'rows')
"""

CODE_TURN = "I will fit a random forest on the four body measurements.\n```python\n" + SOLUTION + "```\n"
DONE_TURN = "The submission is graded.\ndone"
TURNS = [CODE_TURN, DONE_TURN]


def arguments(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--endpoint", default=None, help="server endpoint (default $MLEDOJO_ENDPOINT)")
    p.add_argument("--task", default="penguins-species")
    p.add_argument("--episodes", type=int, default=2)
    return p.parse_args()


class CharTokenizer:
    """A stand-in tokenizer (one token per character) with the methods the adapters and the
    mimicked trainers call: ``encode``, ``decode``, ``__call__`` and ``apply_chat_template``."""

    def encode(self, text, add_special_tokens=False):
        return [ord(c) for c in text]

    def decode(self, ids, skip_special_tokens=True):
        return "".join(chr(i) for i in ids)

    def __call__(self, text, add_special_tokens=False, return_tensors=None):
        return {"input_ids": [self.encode(text)]}

    def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False, **kwargs):
        text = "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in messages)
        text += "<assistant>" if add_generation_prompt else ""
        return self.encode(text) if tokenize else text
