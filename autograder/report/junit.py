"""The JUnit XML view: one test suite per concept, one test case per check.

The document is always well-formed: ElementTree escapes markup, and the characters XML 1.0
forbids (most C0 controls, lone surrogates, U+FFFE, U+FFFF) become U+FFFD first.
"""

import re
from xml.etree import ElementTree

OUTCOME_ELEMENT = {"failed": "failure", "error": "error", "timeout": "error", "crashed": "error", "not_attempted": "skipped"}
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # the complement of XML 1.0's Char


def render_junit(report: dict) -> str:
    suites = ElementTree.Element("testsuites", name="autograder", tests=str(_count(report)), time=f"{report['duration_s']:g}")
    for concept in report["concepts"]:
        checks = concept["checks"]
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=xml_text(concept["id"]),
            tests=str(len(checks)),
            failures=str(sum(c["status"] == "failed" for c in checks)),
            errors=str(sum(c["status"] in ("error", "timeout", "crashed") for c in checks)),
            skipped=str(sum(c["status"] == "not_attempted" for c in checks)),
        )
        for check in checks:
            case = ElementTree.SubElement(suite, "testcase", classname=xml_text(concept["id"]), name=xml_text(check["id"]))
            ElementTree.SubElement(case, "properties").extend(
                ElementTree.Element("property", name=name, value=xml_text(str(check[name]))) for name in ("visibility", "points", "max_points")
            )
            element = OUTCOME_ELEMENT.get(check["status"])
            if element is not None:
                ElementTree.SubElement(case, element, message=xml_text(check["feedback"]), type=check["status"])
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def xml_text(text: str) -> str:
    """`text` with each character XML 1.0 forbids replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", text)


def _count(report: dict) -> int:
    return sum(len(c["checks"]) for c in report["concepts"])
