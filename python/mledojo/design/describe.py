"""Words for a formulation: title, one-sentence objective, and the participant-facing description.

The description follows the bundled tasks: Objective (what is predicted from what, where the
data come from, what was cleaned), Files (exactly train.csv, test.csv and sample_submission.csv;
never private files or raw file names), column notes, Metric and Submission (the header line).
"""


KIND_WORDS = {"probability": "a probability (a number from 0 to 1)", "label": "one of the classes",
              "positive": "a positive number", "non_negative": "a non-negative number",
              "number": "a number"}


def readable(name: str) -> str:
    return str(name).replace("_", " ").strip()


def title(f, prov) -> str:
    dataset = readable(prov.name).capitalize()
    what = {"binary": f"is {f.target} {f.positive}?" if f.positive else f"{readable(f.target)}",
            "forecasting": f"forecast {readable(f.target)}"}.get(f.objective, readable(f.target))
    return f"{dataset}: {what}"


def objective_sentence(f) -> str:
    """One sentence: what is predicted from what, and the metric."""
    n = len(f.features)
    source = f"its {n} other recorded column{'s' if n != 1 else ''}"
    if f.text_column:
        source = f"its free text ({f.text_column})" + (f" and {n - 1} other column(s)" if n > 1 else "")
    if f.objective == "binary":
        what = f"the probability that {f.target} is {f.positive}" if f.metric.kind == "probability" \
            else f"{f.target} ({' or '.join(f.labels)})"
    elif f.objective in ("multiclass", "ordinal"):
        order = " < ".join(f.labels) if f.objective == "ordinal" else ", ".join(f.labels)
        what = f"{f.target}, one of the {'ordered ' if f.objective == 'ordinal' else ''}classes {order},"
    elif f.objective == "count":
        what = f"the count {f.target}"
    elif f.objective == "forecasting":
        return (f"Forecast {f.target} for the latest {round(f.split.test_fraction * 100)} % of the "
                f"series ({f.time_index}) from the earlier observations; scored by {f.metric.title}.")
    else:
        what = f"{f.target}"
    return f"For each row, predict {what} from {source}; scored by {f.metric.title}."


def wrap(text: str, width: int = 96) -> list:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line] if line else lines


def _column_notes(f, profile, train_columns) -> list:
    notes = []
    kinds = {name: profile.columns[name].kind for name in f.features}
    cats = [c for c in f.features if kinds[c] == "categorical"]
    if f.text_column:
        notes.append(f"{f.text_column} is free text (line breaks inside it were replaced by spaces).")
    if f.time_index:
        notes.append(f"{f.time_index} is the time of each observation; train.csv holds the earlier "
                     f"observations and test.csv the latest ones, both sorted by {f.time_index}.")
    dates = [c for c in f.features if kinds[c] == "datetime" and c != f.time_index]
    if dates:
        notes.append(f"{', '.join(dates)} hold dates or times as text.")
    if cats:
        notes.append(f"Categorical columns (text or codes): {', '.join(cats)}.")
    missing = [c for c in f.features if profile.columns[c].missing]
    if missing:
        notes.append(f"Some values are missing (empty cells) in {', '.join(missing)}.")
    if f.dropped:
        notes.append("Left out of the data: " + "; ".join(f"{c} ({why})" for c, why in sorted(f.dropped.items())) + ".")
    if f.split.group == "(features)":
        notes.append("Rows whose features are all equal (the same unit observed more than once) are "
                     "kept on the same side of the train/test split.")
    elif f.split.group:
        notes.append(f"All rows of one {f.split.group} are on the same side of the train/test split.")
    notes.append("The id column is a random identifier and carries no information.")
    return notes


def description(f, prov, profile, info: dict) -> str:
    """description.txt for formulation ``f``; ``info`` has rows_raw, rows_used, n_train, n_test,
    duplicates_removed, train_columns."""
    answer = f.answer_column
    source = prov.package or "a public dataset"
    licence = f", {prov.license}" if prov.license else ""
    cleaning = [f"{info['rows_used']:,} of its {info['rows_raw']:,} rows are used"]
    if profile.columns[f.target].missing:
        cleaning.append(f"{profile.columns[f.target].missing:,} row(s) without a {f.target} left out")
    if info.get("duplicates_removed"):
        cleaning.append(f"{info['duplicates_removed']:,} exact duplicate row(s)"
                        + (" or repeated texts" if f.text_column else "") + " removed before the split")
    if f.merges:
        cleaning.append("rare classes merged: " + ", ".join(f"{a} counted as {b}" for a, b in f.merges.items()))
    if f.dropped_labels:
        cleaning.append(f"rows of the rare classes {', '.join(f.dropped_labels)} removed")
    objective = [objective_sentence(f).replace("; scored by", ". Scored by", 1),
                 f"The data are real records of the {readable(prov.name)} table ({source}{licence}); "
                 + "; ".join(cleaning) + "."]
    if f.objective == "binary" and f.metric.kind == "probability":
        share = f.facts["class_counts"][f.positive] / sum(f.facts["class_counts"].values())
        objective.append(f"About {share:.0%} of the rows have {f.target} = {f.positive}.")
    cols = ", ".join(info["train_columns"])
    label = f.answer_column if f.metric.kind == "probability" else f.target
    target_note = (f"{label} is the target: 1 if {f.target} is {f.positive}, else 0" if f.metric.kind == "probability"
                   else f"{label} is the target")
    files = [f"- train.csv: {info['n_train']:,} rows with their {label}. Columns: {cols} ({target_note}).",
             f"- test.csv: the {info['n_test']:,} rows to predict; the same columns without {label}.",
             "- sample_submission.csv: the expected submission format, filled with random values."]
    kind = KIND_WORDS[f.metric.kind]
    if f.metric.kind == "label":
        kind = "one of " + ", ".join(f.labels)
    elif f.metric.kind == "probability":
        kind = f"the predicted probability (a number from 0 to 1) that {f.target} is {f.positive}"
    submission = (f"Write a CSV file named submission.csv in the output directory (ask "
                  f"request_info(\"output_path\"); inside the sandbox it is /workspace, the working "
                  f"directory) with exactly the columns id and {answer}, one row per id in test.csv, "
                  f"{answer} being {kind}. The header line is:")
    lines = [f"# {title(f, prov)}", "", "## Objective"] + wrap(" ".join(objective)) + [
        "", "## Files",
        "All files are in the data directory (ask request_info(\"data_path\"); inside the sandbox it is /data):"]
    for item in files:
        wrapped = wrap(item, 94)
        lines += [wrapped[0]] + ["  " + w for w in wrapped[1:]]
    lines += [""] + wrap(" ".join(_column_notes(f, profile, info["train_columns"])))
    lines += ["", "## Metric"] + wrap(f.metric.explain)
    lines += ["", "## Submission"] + wrap(submission) + ["", f"id,{answer}", ""]
    lines += wrap("sample_submission.csv shows the full format (its values are random, not answers).")
    return "\n".join(lines) + "\n"
