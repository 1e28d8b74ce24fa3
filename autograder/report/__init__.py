"""The one report (law 6): built once from check results, rendered into many views."""
