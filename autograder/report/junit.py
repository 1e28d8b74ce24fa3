"""The JUnit XML view: one test suite per concept, one test case per check."""

from xml.etree import ElementTree

OUTCOME_ELEMENT = {"failed": "failure", "error": "error", "timeout": "error", "crashed": "error", "not_attempted": "skipped"}


def render_junit(report: dict) -> str:
    suites = ElementTree.Element("testsuites", name="autograder", tests=str(_count(report)), time=f"{report['duration_s']:g}")
    for concept in report["concepts"]:
        checks = concept["checks"]
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=concept["id"],
            tests=str(len(checks)),
            failures=str(sum(c["status"] == "failed" for c in checks)),
            errors=str(sum(c["status"] in ("error", "timeout", "crashed") for c in checks)),
            skipped=str(sum(c["status"] == "not_attempted" for c in checks)),
        )
        for check in checks:
            case = ElementTree.SubElement(suite, "testcase", classname=concept["id"], name=check["id"])
            ElementTree.SubElement(case, "properties").extend(
                ElementTree.Element("property", name=name, value=str(check[name])) for name in ("visibility", "points", "max_points")
            )
            element = OUTCOME_ELEMENT.get(check["status"])
            if element is not None:
                ElementTree.SubElement(case, element, message=check["feedback"], type=check["status"])
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def _count(report: dict) -> int:
    return sum(len(c["checks"]) for c in report["concepts"])
