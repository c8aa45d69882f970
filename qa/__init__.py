"""QA on real traffic: journal replay, trace-driven what-ifs, and suite reports for CI."""
