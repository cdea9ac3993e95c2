"""Small JSON schemas of our own for the operator resources kubernetes-validate lacks.

They cover the fields this repository sets (names and types as documented by
CloudNativePG and its Barman Cloud plugin) and refuse any other, so a misspelt field fails
here rather than in a cluster. They are not the operators' full CRDs.
"""

from __future__ import annotations

from typing import Any

_NAME_REF: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}},
    "additionalProperties": False,
}
_KEY_REF: dict[str, Any] = {
    "type": "object",
    "required": ["name", "key"],
    "properties": {"name": {"type": "string"}, "key": {"type": "string"}},
    "additionalProperties": False,
}
_QUANTITY: dict[str, Any] = {"type": "string", "pattern": r"^[0-9.]+(m|Ki|Mi|Gi|Ti)?$"}


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _resource(spec: dict[str, Any]) -> dict[str, Any]:
    return _closed(
        {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object", "required": ["name"]},
            "spec": spec,
        },
        ("apiVersion", "kind", "metadata", "spec"),
    )


_ROLE = _closed(
    {
        "name": {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"},
        "ensure": {"enum": ["present", "absent"]},
        "login": {"type": "boolean"},
        "passwordSecret": _NAME_REF,
    },
    ("name",),
)

SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("postgresql.cnpg.io/v1", "Cluster"): _resource(
        _closed(
            {
                "instances": {"type": "integer", "minimum": 1},
                "imageName": {"type": "string"},
                "primaryUpdateStrategy": {"enum": ["unsupervised", "supervised"]},
                "enableSuperuserAccess": {"type": "boolean"},
                "postgresql": _closed(
                    {"parameters": {"type": "object", "additionalProperties": {"type": "string"}}}
                ),
                "storage": _closed({"size": _QUANTITY, "storageClass": {"type": "string"}}),
                "walStorage": _closed({"size": _QUANTITY, "storageClass": {"type": "string"}}),
                "affinity": _closed(
                    {
                        "enablePodAntiAffinity": {"type": "boolean"},
                        "topologyKey": {"type": "string"},
                        "podAntiAffinityType": {"enum": ["preferred", "required"]},
                    }
                ),
                "resources": _closed(
                    {
                        "requests": {"type": "object", "additionalProperties": _QUANTITY},
                        "limits": {"type": "object", "additionalProperties": _QUANTITY},
                    }
                ),
                "managed": _closed({"roles": {"type": "array", "items": _ROLE}}),
                "plugins": {
                    "type": "array",
                    "items": _closed(
                        {
                            "name": {"type": "string"},
                            "isWALArchiver": {"type": "boolean"},
                            "parameters": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                        },
                        ("name",),
                    ),
                },
            },
            ("instances", "storage"),
        )
    ),
    ("postgresql.cnpg.io/v1", "Database"): _resource(
        _closed(
            {
                "cluster": _NAME_REF,
                "name": {"type": "string"},
                "owner": {"type": "string"},
                "ensure": {"enum": ["present", "absent"]},
            },
            ("cluster", "name", "owner"),
        )
    ),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): _resource(
        _closed(
            {
                # six fields: seconds first
                "schedule": {"type": "string", "pattern": r"^(\S+\s+){5}\S+$"},
                "backupOwnerReference": {"enum": ["none", "self", "cluster"]},
                "cluster": _NAME_REF,
                "method": {"enum": ["barmanObjectStore", "volumeSnapshot", "plugin"]},
                "pluginConfiguration": _NAME_REF,
            },
            ("schedule", "cluster"),
        )
    ),
    ("barmancloud.cnpg.io/v1", "ObjectStore"): _resource(
        _closed(
            {
                "retentionPolicy": {"type": "string", "pattern": r"^[1-9][0-9]*[dwm]$"},
                "configuration": _closed(
                    {
                        "destinationPath": {"type": "string", "pattern": "^(s3|gs|https)://"},
                        "endpointURL": {"type": "string"},
                        "s3Credentials": _closed(
                            {"accessKeyId": _KEY_REF, "secretAccessKey": _KEY_REF},
                            ("accessKeyId", "secretAccessKey"),
                        ),
                        "wal": _closed({"compression": {"enum": ["gzip", "bzip2", "snappy"]}}),
                        "data": _closed({"compression": {"enum": ["gzip", "bzip2", "snappy"]}}),
                    },
                    ("destinationPath",),
                ),
            },
            ("configuration",),
        )
    ),
}
