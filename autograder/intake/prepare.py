"""Turn one entry into a prepared submission: plain regular files with the exact module names.

Steps, top to bottom: lay the entry out as a folder (a folder is read where it is; a zip is
unpacked, a file or a platform's flat files are copied into a scratch folder); list it
without following links (`walk.scan`); when it holds no module but zips, unpack those, at
most `MAX_NESTING` archives deep, every archive spending the entry's one `Budget`; find
the exercise folder and each module's file by name (`locate`), and name a notebook by what
it defines when its file name says nothing; copy the exercise folder's files and write each
module under its exact name, a notebook as the module made of its code cells. The result
says which file was used for which module, what was left out and why, and a status:
`graded`, or `not_submitted` / `ungradable` with the reason when nothing can be graded.
"""

import ast
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import CourseRoot
from autograder.intake.archive import MAX_NESTING, MAX_UNPACKED_BYTES, ArchiveRefused, Budget, unpack_zip
from autograder.intake.entries import Entry
from autograder.intake.locate import ENGINE_FOLDERS, Candidate, candidates, exercise_folder, module_files, within_reach
from autograder.intake.names import EXACT, module_named
from autograder.intake.notebook import NotANotebook, notebook_module
from autograder.intake.statements import MAX_CODE_BYTES, Cell, select
from autograder.intake.walk import MAX_FILE_BYTES, FileInfo, FileRefused, SubmissionRefused, Tree, display, open_file, printable, read_file, scan, write_file
from autograder.registry import exercise_modules

MAX_NOTES = 24
_REFUSALS = (SubmissionRefused, ArchiveRefused, FileRefused)


@dataclass
class Intake:
    """A prepared submission: `folder` holds plain files with the exact module names."""

    entry: Entry
    folder: Path
    status: str = "graded"  # or "not_submitted", "ungradable": nothing in it can be graded
    reason: str = ""
    files: dict[str, str] = field(default_factory=dict)  # module -> the entry's file it was made from
    refused: dict[str, str] = field(default_factory=dict)  # module -> why its file was not read
    notes: list[str] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget.whole, repr=False)  # what its archives may still unpack

    @property
    def gradable(self) -> bool:
        return self.status == "graded"

    def fields(self) -> dict:
        """The report's submission-level fields: status, reason and the intake's record."""
        notes = self.notes[:MAX_NOTES] + ([f"... and {len(self.notes) - MAX_NOTES} more"] if len(self.notes) > MAX_NOTES else [])
        files = {module: printable(file) for module, file in self.files.items()}
        refused = {module: printable(why) for module, why in self.refused.items()}
        intake = {"files": files, "refused": refused, "notes": [printable(note) for note in notes]}
        return {"status": self.status, "reason": printable(self.reason), "intake": intake}

    def annotate(self, report: dict) -> dict:
        """`report` (graded from `folder`) with the entry as its submission and the intake's fields."""
        report.update(submission=self.entry.shown, **self.fields())
        return report


def checked_names(course: CourseRoot) -> dict[str, frozenset[str]]:
    """Module -> the public names its stub in exercises/ defines: what the checks call."""
    names = {}
    for module in exercise_modules():
        stub = course.exercises / f"{module}.py"
        tree = ast.parse(stub.read_text(encoding="utf-8")) if stub.is_file() else ast.Module(body=[])
        defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        names[module] = frozenset(name for name in defined if not name.startswith("_"))
    return names


def prepare(entry: Entry, scratch: Path, checked: Mapping[str, frozenset[str]]) -> Intake:
    """The prepared submission of `entry`, in a new folder below `scratch`. Never raises for
    anything inside the entry: what cannot be read becomes a note or the status."""
    work = Path(tempfile.mkdtemp(prefix="entry-", dir=scratch))
    intake = Intake(entry, work / "submission")
    intake.folder.mkdir()
    try:
        root, refused = _lay_out(entry, work, intake)
        _gather(root, refused, work, intake, checked)
    except _REFUSALS as problem:
        _refuse(intake, str(problem))
    except Exception as problem:  # noqa: BLE001 - nothing inside one submission stops a batch
        _refuse(intake, f"it could not be read ({type(problem).__name__}: {str(problem)[:160]})")
    finally:
        _clear_all_but(work, intake.folder)
    return intake


def _clear_all_but(work: Path, kept: Path) -> None:
    """Remove what was unpacked or staged in `work`, all but the prepared folder, so that a
    batch's scratch holds one prepared folder per entry, not every archive's content."""
    for path in work.iterdir():
        if path != kept:
            shutil.rmtree(path, ignore_errors=True)


def _refuse(intake: Intake, reason: str) -> None:
    for path in sorted(intake.folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    intake.status, intake.reason, intake.files = "ungradable", reason, {}


def _lay_out(entry: Entry, work: Path, intake: Intake) -> tuple[Path, dict]:
    """The folder to read the entry from, and what was refused on the way (path -> why)."""
    if entry.members:
        staging, refused = work / "files", {}
        for path, name in entry.members:
            _stage(path, name, staging / name.rsplit(".", 1)[0], staging, refused, intake)
        return staging, refused
    mode = os.lstat(entry.path).st_mode
    if stat.S_ISDIR(mode):
        return entry.path, {}
    if stat.S_ISLNK(mode):
        raise FileRefused("it is a symbolic link; links are refused, never followed")
    if not stat.S_ISREG(mode):
        raise FileRefused("it is a special file, not a folder, zip or notebook")
    staging, refused = work / "files", {}
    _stage(entry.path, entry.path.name, staging, staging, refused, intake)
    return staging, refused


def _stage(path: Path, name: str, unpack_to: Path, staging: Path, refused: dict, intake: Intake) -> None:
    """Copy one regular file into `staging` as `name`, or unpack it into `unpack_to` when a zip."""
    is_zip = name.casefold().endswith(".zip")
    try:
        if is_zip:
            with open_file(path.parent, (path.name,), MAX_UNPACKED_BYTES) as archive:
                intake.notes += [f"{display(name)}: {note}" for note in unpack_zip(archive, unpack_to, intake.budget)]
            intake.budget.depth = 1
        else:
            write_file(staging, (name,), read_file(path.parent, (path.name,)))
    except FileRefused as problem:
        refused[(name,)] = str(problem).removeprefix(f"{display(path.name)} ")
    except FileExistsError:
        intake.notes.append(f"{display(name)}: uploaded twice; the first copy is used")
    except ArchiveRefused as problem:
        raise ArchiveRefused(f"{display(name)}: {problem}") from None
    staging.mkdir(exist_ok=True)


def _gather(root: Path, refused: dict, work: Path, intake: Intake, checked: Mapping[str, frozenset[str]]) -> None:
    tree = scan(root)
    tree.refused.update(refused)
    modules = exercise_modules()
    found = candidates(tree, modules)
    while not found and (zips := [file for file in tree.files if file.name.casefold().endswith(".zip") and len(file.parts) <= 2]):
        if intake.budget.depth >= MAX_NESTING:
            raise ArchiveRefused(f"{zips[0]}: archives nested more than {MAX_NESTING} deep (a zip in a zip in a zip) are not unpacked")
        tree = _unpack_inner(tree, zips, work / f"inner-{intake.budget.depth + 1}", intake)
        found = candidates(tree, modules)
    folder = exercise_folder(found)
    chosen = module_files(found, folder) if folder is not None else {}
    intake.notes += [f"{c.file}: outside the exercise folder {'/'.join(folder)}/, not used" for c in found if not within_reach(c.file, folder)]
    _copy_folder(tree, folder, intake)
    for module, choices in chosen.items():
        _write_module(tree, module, choices, folder, intake, checked)
    _identify(tree, folder, intake, checked)
    _record_refusals(tree, folder, intake)
    _settle(tree, intake)


def _unpack_inner(tree: Tree, zips: list[FileInfo], inner: Path, intake: Intake) -> Tree:
    """The tree of the zips a folder holds (a platform's folder with the student's zip), one
    archive deeper than the folder."""
    intake.budget.depth += 1
    for file in zips:
        try:
            with open_file(tree.root, file.parts, MAX_UNPACKED_BYTES) as archive:
                notes = unpack_zip(archive, inner.joinpath(*file.parts), intake.budget)
        except ArchiveRefused as problem:
            raise ArchiveRefused(f"{file}: {problem}") from None
        intake.notes += [f"{file}: {note}" for note in notes]
    unpacked = scan(inner)
    unpacked.refused.update(tree.refused)
    return unpacked


def _copy_folder(tree: Tree, folder: tuple[str, ...] | None, intake: Intake) -> None:
    """Copy the exercise folder's files (helpers, data), notebooks and the engine's folders aside."""
    if folder is None:
        return
    budget = MAX_UNPACKED_BYTES
    for file in tree.files:
        below = file.parts[len(folder) :]
        if file.parts[: len(folder)] != folder or ENGINE_FOLDERS.intersection(below[:-1]) or file.name.endswith(".ipynb"):
            continue
        budget -= file.size
        if budget < 0:
            raise SubmissionRefused(f"its exercise folder holds more than {MAX_UNPACKED_BYTES // 1024**2} MiB")
        try:
            write_file(intake.folder, below, read_file(tree.root, file.parts))
        except FileRefused as problem:
            intake.notes.append(f"{problem}; left out")


def _write_module(tree: Tree, module: str, choices: list[Candidate], folder: tuple[str, ...], intake: Intake, checked) -> None:
    """Write `<module>.py` from the best of its candidates that can be read; when none can,
    the module is refused, with the first one's reason."""
    for candidate in choices:
        in_place = candidate.rank == EXACT and candidate.file.folder == folder
        try:
            source = _module_text(tree, candidate.file, checked.get(module, frozenset()), intake)
        except (FileRefused, NotANotebook) as problem:
            why = str(problem) if isinstance(problem, FileRefused) else f"{candidate.file}: {problem}"  # FileRefused names the file
            intake.notes.append(f"{why}; not used for {module}")
            intake.refused.setdefault(module, why)
            if in_place:  # `_copy_folder` copied it with the folder's other files
                (intake.folder / f"{module}.py").unlink(missing_ok=True)
            continue
        intake.refused.pop(module, None)
        if not in_place:
            write_file(intake.folder, (f"{module}.py",), source)
            intake.notes.append(f"{module}: graded from {candidate.file}")
        intake.files[module] = str(candidate.file)
        others = [str(c.file) for c in choices if c is not candidate]
        if others:
            intake.notes.append(f"{module}: {', '.join(others[:3])} not used ({candidate.file} was)")
        return


def _module_text(tree: Tree, file: FileInfo, called: frozenset[str], intake: Intake) -> bytes:
    if not file.name.casefold().endswith(".ipynb"):
        return read_file(tree.root, file.parts, MAX_CODE_BYTES)
    data = read_file(tree.root, file.parts)
    made = notebook_module(data, str(file), called)
    intake.notes += made.notes
    return made.source.encode("utf-8")


def _identify(tree: Tree, folder: tuple[str, ...] | None, intake: Intake, checked: Mapping[str, frozenset[str]]) -> None:
    """Name notebooks (and a lone file) whose file name names no module by what they define:
    a module they define at least half of the checked names of, and that has no file yet."""
    lone = len(tree.files) == 1
    for file in tree.files:
        is_notebook = file.name.casefold().endswith(".ipynb")
        if str(file) in intake.files.values() or not (is_notebook or lone) or ENGINE_FOLDERS.intersection(file.folder):
            continue
        if folder is not None and not within_reach(file, folder):
            continue
        try:
            names = _defined_names(tree, file, is_notebook)
        except (FileRefused, NotANotebook, UnicodeDecodeError):
            continue
        for module, called in checked.items():
            if module not in intake.files and called and len(names & called) >= max(1, len(called) / 2):
                source = _module_text(tree, file, called, intake)
                write_file(intake.folder, (f"{module}.py",), source)
                intake.files[module] = str(file)
                intake.refused.pop(module, None)
                intake.notes.append(f"{module}: graded from {file}, which defines its functions")


def _defined_names(tree: Tree, file: FileInfo, is_notebook: bool) -> frozenset[str]:
    data = read_file(tree.root, file.parts, MAX_FILE_BYTES if is_notebook else MAX_CODE_BYTES)
    if is_notebook:
        return notebook_module(data, str(file)).names
    kept = select([Cell(str(file), data.decode("utf-8"))]).kept
    return frozenset().union(*(statement.binds for statement in kept))


def _record_refusals(tree: Tree, folder: tuple[str, ...] | None, intake: Intake) -> None:
    """A note per refused path; a refused file named as a module with no other file refuses it."""
    for parts, why in tree.refused.items():
        shown = "/".join(map(display, parts))
        intake.notes.append(f"{shown}: {why}")
        named = module_named(parts[-1], exercise_modules())
        in_reach = folder is None or within_reach(FileInfo(parts, 0), folder)
        if named is not None and named[0] not in intake.files and in_reach and not ENGINE_FOLDERS.intersection(parts[:-1]):
            intake.refused.setdefault(named[0], f"{shown}: {why}")


def _settle(tree: Tree, intake: Intake) -> None:
    """The status: graded when any module has a file; otherwise the reason why not."""
    if intake.files:
        return
    intake.status = "ungradable"
    refusals = [f"{'/'.join(map(display, parts))}: {why}" for parts, why in tree.refused.items()]
    if intake.refused:
        intake.reason = "; ".join(intake.refused.values())
    elif not tree.files and refusals:
        intake.reason = "nothing it holds can be read: " + "; ".join(refusals[:3])
    elif not tree.files:
        intake.status, intake.reason = "not_submitted", "it holds no files"
    else:
        expected = ", ".join(f"{m}.py" for m in exercise_modules()[:3])
        intake.reason = f"no exercise modules found (expected {expected}, ... or notebooks, here or in exercises/)"
