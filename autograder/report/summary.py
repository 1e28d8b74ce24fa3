"""The class summary: plots and a short Markdown page from a batch's reports.

matplotlib is imported only when a plot is drawn (`_figure`): its import takes a second or
more, which a command that stops at a wrong argument (`grade-all`, `nbgrader-report`) must
not wait for."""

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.files import write_atomically
from autograder.report.gradebook import status_counts
from autograder.report.markdown import escape_markdown
from autograder.registry import CONCEPTS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TOP = 12  # bars in the "most often" plots


def write_summary(reports: dict[str, dict], out: Path, failed: dict[str, str] | None = None) -> list[Path]:
    """Write the PNG plots and `summary.md` into `out`; return the files written. `failed`:
    students whose grading failed (no report yet), counted with the rest."""
    out.mkdir(parents=True, exist_ok=True)
    failed_checks, mistakes = _failure_counts(reports)
    written = [
        _save(_score_distribution(reports), out / "scores_per_concept.png"),
        _save(_bar_chart(failed_checks, "Checks most often failed", "submissions"), out / "failed_checks.png"),
        _save(_bar_chart(mistakes, "Mistakes most often named", "checks"), out / "named_mistakes.png"),
    ]
    page = out / "summary.md"
    write_atomically(page, _page(reports, failed_checks, mistakes, failed or {}))
    return [*written, page]


def _failure_counts(reports: dict[str, dict]) -> tuple[Counter, Counter]:
    failed_checks, mistakes = Counter(), Counter()
    for report in reports.values():
        for concept in report["concepts"]:
            for check in concept["checks"]:
                if check["status"] in ("failed", "error", "timeout", "crashed"):
                    failed_checks[f"{concept['id']}: {check['id']}"] += 1
                if check.get("mistake"):
                    mistakes[check["mistake"]] += 1
    return failed_checks, mistakes


def _figure() -> "Figure":
    """An empty figure of the summary's size (9 x 4.5 inches)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(9, 4.5), layout="constrained")


def _score_distribution(reports: dict[str, dict]) -> "Figure":
    figure = _figure()
    axes = figure.add_subplot()
    fractions = {}
    for concept in CONCEPTS:
        scores = [c["score"] / c["max_score"] for r in reports.values() for c in r["concepts"] if c["id"] == concept.id and c["max_score"]]
        fractions[concept.id] = scores
    # A concept nobody was graded in (a --concept batch) has no box, rather than one at 0.
    shown = {concept: scores for concept, scores in fractions.items() if scores} or {concept: [0.0] for concept in fractions}
    axes.boxplot(list(shown.values()), tick_labels=list(shown))
    axes.set_ylabel("fraction of the concept's points")
    axes.set_ylim(-0.05, 1.05)
    axes.set_title(f"Score distribution per concept ({len(reports)} submissions)")
    axes.tick_params(axis="x", rotation=30)
    return figure


def _bar_chart(counts: Counter, title: str, unit: str) -> "Figure":
    figure = _figure()
    axes = figure.add_subplot()
    top = counts.most_common(TOP)[::-1]
    if top:
        axes.barh([_shorten(label) for label, _ in top], [n for _, n in top], color="tab:red")
    else:
        axes.text(0.5, 0.5, "none", ha="center", va="center", transform=axes.transAxes)
    axes.set_xlabel(unit)
    axes.set_title(title)
    return figure


def _shorten(label: str, width: int = 60) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _save(figure: "Figure", path: Path) -> Path:
    figure.savefig(path, dpi=110)
    return path


def _page(reports: dict[str, dict], failed_checks: Counter, mistakes: Counter, failed: dict[str, str]) -> str:
    lines = [f"# Class summary: {len(reports) + len(failed)} entries ({status_counts(reports, failed)})", ""]
    lines += _not_graded(reports, failed)
    lines += ["| Concept | Mean score | Max |", "| --- | ---: | ---: |"]
    for concept in CONCEPTS:
        entries = [c for r in reports.values() for c in r["concepts"] if c["id"] == concept.id]
        if not entries:  # no report holds it: the batch was graded with --concept
            lines.append(f"| {concept.title} | not graded | |")
            continue
        mean = sum(c["score"] for c in entries) / len(entries)
        maximum = max(c["max_score"] for c in entries)
        lines.append(f"| {concept.title} | {mean:.2f} | {maximum:g} |")
    lines += ["", "![Score distribution per concept](scores_per_concept.png)", "", "## Checks most often failed", ""]
    lines += [f"- {label}: {count}" for label, count in failed_checks.most_common(TOP)] or ["- none"]
    lines += ["", "![Checks most often failed](failed_checks.png)", "", "## Mistakes most often named", ""]
    lines += [f"- {label} ({count})" for label, count in mistakes.most_common(TOP)] or ["- none"]
    lines += ["", "![Mistakes most often named](named_mistakes.png)", ""]
    return "\n".join(lines)


def _not_graded(reports: dict[str, dict], failed: dict[str, str]) -> list[str]:
    """A list of the entries with nothing graded, and why (they count as 0 in the means)."""
    rows = [(student, report["status"], report.get("reason", "")) for student, report in sorted(reports.items()) if report.get("status", "graded") != "graded"]
    rows += [(student, "failed", f"the grader failed ({why}); rerun to retry") for student, why in sorted(failed.items())]
    if not rows:
        return []
    shown = [f"- {escape_markdown(student)}: {status.replace('_', ' ')} ({escape_markdown(why)})" for student, status, why in rows]
    return ["## Entries with nothing graded (0 in the means below)", "", *shown, ""]  # ids and reasons are folder and file names
