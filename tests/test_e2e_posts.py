"""Staff's outreach end to end: /post in every shape, schedules, restarts, /posts."""

from __future__ import annotations

from bot.fakegram import FakeUser
from tests.harness import Harness, expect, expect_edit, press

EDITOR_ID = 7003


async def _editor(h: Harness) -> FakeUser:
    editor = h.fake.user(first_name="Редактор", username="office_editor", user_id=EDITOR_ID)
    await h.admin.send(f"/staff add {EDITOR_ID} editor")
    await expect(h.admin, str(EDITOR_ID))
    return editor


async def _subscribers(h: Harness, n: int) -> list[FakeUser]:
    users = [h.fake.user(first_name=f"Иргэн{i}") for i in range(n)]
    for user in users:
        await user.send("/subscribe")
        await expect(user, "бүртгүүллээ")
    return users


async def test_smoke(h: Harness) -> None:
    editor = await _editor(h)
    people = await _subscribers(h, 3)
    await editor.send("/post")
    await expect(editor, "Шинэ нийтлэл")
    await editor.send("Авлигатай хамтдаа тэмцье! Мэдээлэл өгөөрэй.")
    await expect(editor, "Англи хэл дээрх")
    await press(editor, "⏭ Англи бичвэргүй")
    await expect(editor, "ямар төрлийн")
    await press(editor, "pp:kind:news")
    await expect(editor, "Аль аянд")
    await press(editor, "— Аянд хамаарахгүй")
    await expect(editor, "арга хэмжээнд")
    await editor.send("1.1")
    await expect(editor, "ямар товч")
    await press(editor, "Дараах ➡️")
    await expect(editor, "Хэнд илгээх")
    await press(editor, "👤 Захиалагчид (3)")
    await expect(editor, "Хэзээ илгээх")
    await press(editor, "⚡ Одоо")
    await expect(editor, "Тохиргоо")
    await press(editor, "✅ Баталгаажуулах")
    await expect(editor, "Хуваарь №1")
    for p in people:
        await expect(p, "Авлигатай хамтдаа")
    await expect_edit(editor, "дууслаа")
