"""Relationship reasons record the questions their rule read, instead of a frozen privacy flag.

Whether a matched person may see a reason is now decided when it is shown, from the questions'
visibility at that moment. Reasons stored before this carry `private` (frozen at approval);
this gives each the `reads` of its rule: from the run that proposed the match when there was
one, else from the program's rules as they are now. A reason whose rule is found in neither
gets no `reads`, and is then never shown to the matched people (stricter is always allowed).
"""

from django.db import migrations


def add_reads(apps, schema_editor):
    Relationship = apps.get_model("mentorships", "Relationship")
    DraftMatch = apps.get_model("matching", "DraftMatch")
    Criterion = apps.get_model("matching", "Criterion")
    run_criteria = {
        relationship_id: rules_used.get("criteria", [])
        for relationship_id, rules_used in DraftMatch.objects.filter(
            relationship__isnull=False
        ).values_list("relationship_id", "run__rules_used")
    }
    current: dict[int, dict[str, list[str]]] = {}
    for program_id, name, mentee, mentor in Criterion.objects.values_list(
        "rules__program_id", "name", "mentee_attribute", "mentor_attribute"
    ):
        current.setdefault(program_id, {})[name] = sorted({mentee, mentor})
    for relationship in Relationship.objects.exclude(reasons=[]).iterator():
        if relationship.pk in run_criteria:
            reads = {
                c["name"]: sorted({c.get("mentee"), c.get("mentor")} - {None})
                for c in run_criteria[relationship.pk]
            }
        else:
            reads = current.get(relationship.program_id, {})
        reasons = []
        for reason in relationship.reasons:
            entry = {key: value for key, value in reason.items() if key != "private"}
            if "reads" not in entry and str(reason.get("criterion")) in reads:
                entry["reads"] = reads[str(reason.get("criterion"))]
            reasons.append(entry)
        relationship.reasons = reasons
        relationship.save(update_fields=["reasons"])


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0006_add_run_warnings"),
        ("mentorships", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_reads, migrations.RunPython.noop)]
