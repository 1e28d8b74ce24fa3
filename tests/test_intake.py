"""Intake: any entry becomes a folder of plain modules with their exact names; links and
special files are refused, never followed; what cannot be read becomes a status and a
reason, never an exception. No grading here: `test_intake_class.py` grades a class."""

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from autograder.intake import archive, checked_names, entry_for, find_entries, prepare, walk
from conftest import COURSE

CHECKED = checked_names(COURSE)
LOSSES = (COURSE.solutions / "losses.py").read_bytes()


def intake_of(path: Path, scratch: Path):
    return prepared(entry_for(path), scratch)


def prepared(entry, scratch: Path):
    scratch.mkdir(exist_ok=True)
    return prepare(entry, scratch, CHECKED)


def prepared_files(intake) -> dict[str, bytes]:
    """The prepared folder's files; every one a regular file, never a link."""
    found = {}
    for path in intake.folder.rglob("*"):
        assert not path.is_symlink(), path
        if path.is_file():
            found[str(path.relative_to(intake.folder))] = path.read_bytes()
    return found


def put(path: Path, data: bytes = LOSSES) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("layout", ["losses.py", "exercises/losses.py", "cnn-exercises-main/exercises/losses.py", "cnn-exercises-main/losses.py"])
def test_a_folder_a_repository_and_a_download_zip_folder_give_the_module(tmp_path, layout):
    put(tmp_path / "alice" / layout)
    put(tmp_path / "alice" / "README.md", b"# my work\n")
    intake = intake_of(tmp_path / "alice", tmp_path / "scratch")
    assert intake.status == "graded" and intake.files == {"losses": layout}
    assert prepared_files(intake)["losses.py"] == LOSSES
    assert intake.entry.id == "alice"


def test_the_engine_a_student_repository_carries_is_never_taken_for_their_work(tmp_path):
    put(tmp_path / "repo" / "exercises" / "pooling.py", (COURSE.solutions / "pooling.py").read_bytes())
    put(tmp_path / "repo" / "autograder" / "mistakes" / "losses.py", b"raise SystemExit\n")
    put(tmp_path / "repo" / "checks" / "public" / "losses.py", b"raise SystemExit\n")
    intake = intake_of(tmp_path / "repo", tmp_path / "scratch")
    assert intake.files == {"pooling": "exercises/pooling.py"}
    assert set(prepared_files(intake)) == {"pooling.py"}


@pytest.mark.parametrize("name", ["losses (1).py", "Losses.py", "losses.py.txt", "losses-1.py", "losses - Copy.py", "LOSSES.PY"])
def test_a_near_miss_name_is_graded_as_the_module_with_a_note_naming_the_file(tmp_path, name):
    put(tmp_path / "bob" / name)
    intake = intake_of(tmp_path / "bob", tmp_path / "scratch")
    assert intake.files == {"losses": name}
    assert prepared_files(intake)["losses.py"] == LOSSES
    assert f"losses: graded from {name}" in intake.notes


def test_an_exact_name_wins_over_a_near_miss_and_the_other_is_named(tmp_path):
    put(tmp_path / "bob" / "losses.py")
    put(tmp_path / "bob" / "losses (1).py", b"old = 1\n")
    intake = intake_of(tmp_path / "bob", tmp_path / "scratch")
    assert intake.files == {"losses": "losses.py"} and prepared_files(intake)["losses.py"] == LOSSES
    assert "losses: losses (1).py not used (losses.py was)" in intake.notes


def make_zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            bundle.writestr(info, target)
    return path


def test_a_zip_is_unpacked_and_a_link_inside_it_is_left_out(tmp_path):
    bundle = make_zip(tmp_path / "carol.zip", {"cnn-exercises-main/exercises/losses.py": LOSSES}, links={"cnn-exercises-main/exercises/pooling.py": "/etc/passwd"})
    intake = intake_of(bundle, tmp_path / "scratch")
    assert intake.entry.id == "carol" and intake.status == "graded"
    assert intake.files == {"losses": "cnn-exercises-main/exercises/losses.py"}
    assert set(prepared_files(intake)) == {"losses.py"}
    assert any("pooling.py (in the zip): a symbolic link" in note for note in intake.notes)


@pytest.mark.parametrize("member", ["../escape.py", "/etc/escape.py", "a/../../escape.py", "C:\\escape.py", "..\\escape.py"])
def test_a_zip_whose_member_climbs_out_is_refused_whole_and_writes_nothing_outside(tmp_path, member):
    bundle = make_zip(tmp_path / "dave.zip", {"losses.py": LOSSES, member: b"x = 1\n"})
    intake = intake_of(bundle, tmp_path / "scratch")
    assert intake.status == "ungradable" and "leaves the archive" in intake.reason
    assert prepared_files(intake) == {}
    assert not list(tmp_path.rglob("escape.py"))


def test_a_zip_over_the_limits_is_refused(tmp_path, monkeypatch):
    bundle = make_zip(tmp_path / "erin.zip", {"losses.py": LOSSES, "data.bin": bytes(4096)})
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 4096)
    assert "unpack to more than" in intake_of(bundle, tmp_path / "scratch").reason
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 10**9)
    monkeypatch.setattr(archive, "MAX_ENTRIES", 1)
    assert "more than 1 files" in intake_of(bundle, tmp_path / "scratch2").reason


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def scratch_bytes(scratch: Path) -> int:
    return sum(path.stat().st_size for path in scratch.rglob("*") if path.is_file())


@pytest.mark.parametrize("outer", ["zip", "folder"])
def test_a_zip_of_zips_shares_one_budget_and_is_refused_before_it_fills_the_disk(tmp_path, monkeypatch, outer):
    """Each inner zip fits the limit alone; together they do not: the entry is refused, and
    what was unpacked is gone from the scratch folder."""
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 3 * 2**20)
    inner = zip_bytes({f"data{i}.bin": bytes(2**20 - 1) for i in range(2)})  # 2 MiB unpacked each
    parts = {f"part{k}.zip": inner for k in range(3)}
    if outer == "zip":
        entry = make_zip(tmp_path / "mallory.zip", parts)
    else:
        entry = tmp_path / "mallory"
        for name, data in parts.items():
            put(entry / name, data)
    intake = intake_of(entry, tmp_path / "scratch")
    assert intake.status == "ungradable"
    assert intake.reason == "part1.zip: its archives unpack to more than 3 MiB (all of them, nested ones included)"
    assert scratch_bytes(tmp_path / "scratch") == 0


def test_the_budget_counts_the_files_of_every_archive(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_ENTRIES", 5)
    inner = zip_bytes({f"f{i}.txt": b"x" for i in range(3)})
    bundle = make_zip(tmp_path / "many.zip", {"a.zip": inner, "b.zip": inner})
    intake = intake_of(bundle, tmp_path / "scratch")
    assert intake.reason == "b.zip: its archives hold more than 5 files and folders (all of them, nested ones included)"


def test_archives_nested_deeper_than_the_bound_are_refused_and_within_it_are_graded(tmp_path):
    two_deep = make_zip(tmp_path / "class" / "ok.zip", {"work.zip": zip_bytes({"exercises/losses.py": LOSSES})})
    graded = intake_of(two_deep, tmp_path / "scratch")
    assert graded.status == "graded" and graded.files == {"losses": "work.zip/exercises/losses.py"}
    assert archive.MAX_NESTING == 2
    three_deep = make_zip(tmp_path / "class" / "deep.zip", {"a.zip": zip_bytes({"b.zip": zip_bytes({"losses.py": LOSSES})})})
    refused = intake_of(three_deep, tmp_path / "scratch")
    assert refused.status == "ungradable"
    assert refused.reason == "a.zip/b.zip: archives nested more than 2 deep (a zip in a zip in a zip) are not unpacked"


def test_a_batch_keeps_only_the_prepared_folders_in_its_scratch(tmp_path):
    bundle = make_zip(tmp_path / "carol.zip", {"exercises/losses.py": LOSSES, "data/big.bin": bytes(2**20)})
    intake = intake_of(bundle, tmp_path / "scratch")
    assert intake.status == "graded"
    assert scratch_bytes(tmp_path / "scratch") == len(LOSSES)


def test_a_damaged_or_empty_zip_gets_a_status_not_an_exception(tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really a zip")
    junk = intake_of(tmp_path / "junk.zip", tmp_path / "scratch")
    assert junk.status == "ungradable" and "not a readable zip archive" in junk.reason
    empty = intake_of(make_zip(tmp_path / "empty.zip", {}), tmp_path / "scratch")
    assert (empty.status, empty.reason) == ("not_submitted", "it holds no files")


def test_a_folder_holding_a_zip_is_graded_from_the_zip(tmp_path):
    make_zip(tmp_path / "Zoë Müller_555_assignsubmission_file_" / "work.zip", {"exercises/losses.py": LOSSES})
    (entry,) = find_entries(tmp_path)
    intake = prepared(entry, tmp_path.parent / f"{tmp_path.name}-scratch")
    assert entry.id == "Zoë Müller" and intake.files == {"losses": "work.zip/exercises/losses.py"}


def test_platform_downloads_are_grouped_per_student_and_names_in_any_script_are_kept(tmp_path):
    folder = tmp_path / "class"
    put(folder / "mullerzoe_12345_67890_losses.py")
    put(folder / "mullerzoe_LATE_12345_67891_pooling-1.py", (COURSE.solutions / "pooling.py").read_bytes())
    put(folder / "Zoë Müller_555_assignsubmission_file_losses (1).py")
    put(folder / "学生 01" / "losses.py")
    put(folder / ".DS_Store", b"\0")
    entries = {entry.id: entry for entry in find_entries(folder)}
    assert set(entries) == {"mullerzoe", "Zoë Müller", "学生 01"}
    zoe = prepared(entries["mullerzoe"], tmp_path / "scratch")
    assert zoe.files == {"losses": "losses.py", "pooling": "pooling-1.py"}
    assert prepared(entries["Zoë Müller"], tmp_path / "scratch").files == {"losses": "losses (1).py"}


def test_a_long_name_gives_an_id_short_enough_to_name_a_report(tmp_path):
    put(tmp_path / "class" / ("ü" * 120) / "losses.py")
    put(tmp_path / "class" / ("ü" * 121) / "losses.py")
    ids = [entry.id for entry in find_entries(tmp_path / "class")]
    assert len(set(ids)) == 2 and all(len(f"{i}.json".encode()) < 200 for i in ids)


def test_two_entries_with_one_name_get_two_ids(tmp_path):
    put(tmp_path / "class" / "alice" / "losses.py")
    make_zip(tmp_path / "class" / "alice.zip", {"losses.py": LOSSES})
    assert sorted(entry.id for entry in find_entries(tmp_path / "class")) == ["alice", "alice.zip"]


LINKS = {"procmem": "/proc/self/mem", "dangling": "/no/such/file.py", "loop": "losses.py"}


@pytest.mark.parametrize("kind", sorted(LINKS))
def test_a_module_that_is_a_link_earns_nothing_and_says_why(tmp_path, kind):
    (tmp_path / kind).mkdir()
    os.symlink(LINKS[kind], tmp_path / kind / "losses.py")
    intake = intake_of(tmp_path / kind, tmp_path / "scratch")
    assert intake.status == "ungradable" and intake.files == {}
    assert intake.refused == {"losses": f"losses.py: a symbolic link (to {LINKS[kind]}); links are refused, never followed"}
    assert intake.reason == intake.refused["losses"]
    assert prepared_files(intake) == {}


def test_a_link_beside_real_modules_refuses_only_its_module(tmp_path):
    put(tmp_path / "sub" / "pooling.py", (COURSE.solutions / "pooling.py").read_bytes())
    os.symlink(COURSE.solutions / "losses.py", tmp_path / "sub" / "losses.py")
    intake = intake_of(tmp_path / "sub", tmp_path / "scratch")
    assert intake.status == "graded" and set(intake.files) == {"pooling"} and set(intake.refused) == {"losses"}
    assert set(prepared_files(intake)) == {"pooling.py"}


def test_an_exercise_folder_that_resolves_outside_the_submission_is_refused(tmp_path):
    (tmp_path / "repo").mkdir()
    os.symlink(COURSE.solutions, tmp_path / "repo" / "exercises")
    intake = intake_of(tmp_path / "repo", tmp_path / "scratch")
    assert intake.status == "ungradable" and "exercises: a symbolic link" in intake.reason
    assert prepared_files(intake) == {}


def test_special_files_and_undecodable_names_are_refused_with_a_note(tmp_path):
    folder = put(tmp_path / "frank" / "losses.py").parent
    os.mkfifo(folder / "pooling.py")
    with open(os.fsencode(folder) + b"/notes\xff.py", "wb") as odd:
        odd.write(b"x = 1\n")
    intake = intake_of(folder, tmp_path / "scratch")
    assert intake.status == "graded" and intake.files == {"losses": "losses.py"}
    assert intake.refused == {"pooling": "pooling.py: a named pipe; only regular files are read"}
    assert "notes\\xff.py: its name is not UTF-8 text" in intake.notes
    assert set(prepared_files(intake)) == {"losses.py"}


def test_entries_that_are_links_or_undecodable_are_listed_and_shown_escaped(tmp_path):
    folder = tmp_path / "class"
    put(folder / "alice" / "losses.py")
    os.symlink(COURSE.solutions, folder / "linked")
    odd = os.fsencode(folder) + b"/s\xff01"
    os.mkdir(odd)
    put(Path(os.fsdecode(odd)) / "losses.py")
    put(folder / "esc\x1b[2Jape" / "losses.py")
    entries = {entry.id: entry for entry in find_entries(folder)}
    assert set(entries) == {"alice", "linked", "s\\xff01", "esc\\x1b[2Jape"}
    linked = prepared(entries["linked"], tmp_path / "scratch")
    assert linked.status == "ungradable" and linked.reason == "it is a symbolic link; links are refused, never followed"
    assert prepared(entries["s\\xff01"], tmp_path / "scratch").files == {"losses": "losses.py"}


def test_an_entry_with_nothing_gradable_gets_not_submitted_or_ungradable_and_why(tmp_path):
    (tmp_path / "empty").mkdir()
    put(tmp_path / "readme" / "README.md", b"I did not do it\n")
    put(tmp_path / "notes.txt", b"not code\n")
    empty = intake_of(tmp_path / "empty", tmp_path / "scratch")
    assert (empty.status, empty.reason) == ("not_submitted", "it holds no files")
    for path in (tmp_path / "readme", tmp_path / "notes.txt"):
        intake = intake_of(path, tmp_path / "scratch")
        assert intake.status == "ungradable" and intake.reason.startswith("no exercise modules found (expected losses.py")


def test_a_tree_over_the_limits_is_refused_without_reading_it(tmp_path, monkeypatch):
    for index in range(6):
        put(tmp_path / "big" / f"f{index}.py", b"x = 1\n")
    monkeypatch.setattr(walk, "MAX_ENTRIES", 5)
    intake = intake_of(tmp_path / "big", tmp_path / "scratch")
    assert intake.status == "ungradable" and intake.reason == "it holds more than 5 files and folders"


def test_the_report_fields_hold_only_printable_text(tmp_path):
    """A student's file names reach the report's notes with control characters escaped."""
    put(tmp_path / "gina" / "pooling.py", (COURSE.solutions / "pooling.py").read_bytes())
    os.symlink("\x07\x1b]52;c;aGk=\x07", tmp_path / "gina" / "esc\x1b[2J.py")
    fields = intake_of(tmp_path / "gina", tmp_path / "scratch").fields()
    text = json.dumps(fields, ensure_ascii=False)
    assert not [character for character in text if ord(character) < 32]
    assert "esc\\x1b[2J.py: a symbolic link (to \\x07\\x1b]52;c;aGk=\\x07)" in fields["intake"]["notes"][0]


def test_the_submission_is_never_changed(tmp_path):
    folder = put(tmp_path / "hana" / "exercises" / "Losses.py").parent.parent
    make_zip(folder / "old.zip", {"losses.py": b"x = 1\n"})
    before = sorted((p, p.read_bytes()) for p in folder.rglob("*") if p.is_file())
    intake_of(folder, tmp_path / "scratch")
    assert sorted((p, p.read_bytes()) for p in folder.rglob("*") if p.is_file()) == before


def test_code_over_the_limit_is_refused_and_the_reason_names_it(tmp_path):
    """A module or a notebook holding more code than any exercise needs costs the grader no
    time: its module is refused with the reason, and the entry is ungradable when it is all."""
    from autograder.intake.statements import MAX_CODE_BYTES
    from nbformat import v4, writes

    big = b"x = 1\n" * (MAX_CODE_BYTES // 6 + 1)
    put(tmp_path / "ivan" / "losses.py", big)
    put(tmp_path / "ivan" / "pooling.py", (COURSE.solutions / "pooling.py").read_bytes())
    ivan = intake_of(tmp_path / "ivan", tmp_path / "scratch")
    assert ivan.status == "graded" and set(ivan.files) == {"pooling"}
    assert ivan.refused == {"losses": "losses.py is larger than 256 KiB"}
    assert set(prepared_files(ivan)) == {"pooling.py"}
    put(tmp_path / "kim" / "losses.py", big)
    put(tmp_path / "kim" / "losses (1).py")
    kim = intake_of(tmp_path / "kim", tmp_path / "scratch")
    assert kim.files == {"losses": "losses (1).py"} and kim.refused == {}
    assert prepared_files(kim)["losses.py"] == LOSSES
    put(tmp_path / "judy" / "losses.ipynb", writes(v4.new_notebook(cells=[v4.new_code_cell(big.decode())])).encode())
    judy = intake_of(tmp_path / "judy", tmp_path / "scratch")
    assert judy.status == "ungradable"
    assert judy.reason == "losses.ipynb: its code cells hold more than 256 KiB of code, more than any exercise needs"
