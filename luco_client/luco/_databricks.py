"""The run environment of a Databricks notebook or job (``submit_databricks_run_environment``).

Reads the notebook context through ``dbutils`` (given, else ``pyspark.dbutils.DBUtils``,
else the IPython namespace's ``dbutils``) and the workspace URL from the Spark
configuration, and builds the run-environment dict LucoPy sends (spec §4.5).
"""

from __future__ import annotations

import json
import typing as t

from luco_client.luco._errors import bad_argument

__all__ = ["databricks_run_environment"]


def _dbutils(spark: t.Any) -> t.Any:
    try:
        from pyspark.dbutils import DBUtils  # type: ignore[import-not-found]  # noqa: PLC0415 - Databricks only
    except ImportError:
        try:
            import IPython  # type: ignore[import-not-found]  # noqa: PLC0415 - Databricks only
        except ImportError:
            raise bad_argument("cannot find dbutils: not on Databricks (no pyspark.dbutils, no IPython); "
                               "pass dbutils=") from None
        shell = IPython.get_ipython()
        if shell is None or "dbutils" not in shell.user_ns:
            raise bad_argument("cannot find dbutils in the IPython namespace; pass dbutils=") from None
        return shell.user_ns["dbutils"]
    return DBUtils(spark)


def databricks_run_environment(spark: t.Any, dbutils: t.Any = None) -> t.Dict[str, t.Any]:
    """``{"platform": "Databricks", "workspaceUrl", "orgId", "referenceUrl"}``, plus
    ``jobId``, ``jobName`` and ``runId`` when running as a job. Any problem reading the
    context raises a typed error (a ConfigurationError, also an ApiException)."""
    utils = dbutils if dbutils is not None else _dbutils(spark)
    try:
        context = json.loads(utils.notebook.entry_point.getDbutils().notebook().getContext().toJson())
        tags = context["tags"]
        org_id = tags["orgId"]
        workspace_url = f"https://{spark.conf.get('spark.databricks.workspaceUrl')}"
    except Exception as exc:  # whatever the notebook context lacks, say what failed
        raise bad_argument(f"cannot read the Databricks notebook context: {type(exc).__name__}: {exc}") from None
    run_env: t.Dict[str, t.Any] = {"platform": "Databricks", "workspaceUrl": workspace_url, "orgId": org_id}
    if all(k in tags for k in ("jobId", "jobName", "multitaskParentRunId")):
        job_id, run_id = tags["jobId"], tags["multitaskParentRunId"]
        run_env["referenceUrl"] = f"{workspace_url}/?o={org_id}#job/{job_id}/run/{run_id}"
        run_env.update(jobId=job_id, jobName=tags["jobName"], runId=run_id)
    else:
        run_env["referenceUrl"] = f"{workspace_url}/?o={org_id}{tags.get('browserHash', '')}"
    return run_env
