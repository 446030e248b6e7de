from django.db import migrations

BODY = """数据开放利用协议（示范文本）

一、数据利用方应按照申请的用途和应用场景使用数据，不得超出授权的信息项、期限和范围。
二、数据利用方不得将数据转让、出售或提供给第三方，不得尝试重新识别个人身份。
三、数据利用方应采取与数据敏感程度相适应的安全保障措施，发生安全事件时应立即报告。
四、数据利用方应按期提交数据利用报告；逾期未提交的，平台暂停授权，直至补交。
五、违反本协议的，数据提供部门可吊销授权，并依法追究责任。
"""


def seed(apps, schema_editor):
    Agreement = apps.get_model("access", "AgreementTemplate")
    Agreement.objects.get_or_create(version="v1", defaults={"title": "数据开放利用协议", "body": BODY, "is_current": True})


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
