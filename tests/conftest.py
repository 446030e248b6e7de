# Shared fixtures (personas: citizen, enterprise, officer, other_officer, county_officer, reviewer, reviewer2,
# county_admin, operator, auditor, evaluator; regions; departments; make_dataset; login) live in
# src/kaifang/core/testing.py and are loaded by the root conftest.py.
