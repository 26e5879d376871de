"""Staff, end to end: inbox, case view, every action, the digest, access control, restart."""

from __future__ import annotations

from tests.harness import (
    OFFICER_ID,
    Harness,
    case_number,
    expect,
    expect_edit,
    file_complaint,
    press,
    text_of,
)


async def _new_case(h: Harness, **kw: object) -> tuple[str, int]:
    alice = h.fake.user(first_name="Сараа")
    receipt = await file_complaint(alice, **kw)  # type: ignore[arg-type]
    notice = await expect(h.staff_group, "Шинэ")
    return receipt, case_number(notice)


async def test_officer_replies_and_the_citizen_reads_it_with_the_receipt(h: Harness) -> None:
    alice = h.fake.user(first_name="Сараа")
    receipt = await file_complaint(alice, notify=True)
    number = case_number(await expect(h.staff_group, "Шинэ"))
    await h.add_officer()
    await h.officer.send("/inbox")
    inbox = await expect(h.officer, "Нээлттэй хэрэг: 1")
    assert f"№{number}" in text_of(inbox) and "30 хоног үлдсэн" in text_of(inbox)
    await press(h.officer, f"№{number}")
    await expect(h.officer, f"Хэрэг №{number}")
    await press(h.officer, "🙋 Хариуцах")
    await press(h.officer, "✉️ Иргэнд хариу бичих")
    await expect(h.officer, "хариугаа бичнэ үү")
    await h.officer.send("Таны гомдлыг хүлээн авч, Богд сумын Засаг даргад шилжүүлж шалгуулав.")
    await expect(h.officer, "Байгууллагын хариу болгож")
    await press(h.officer, "✅ Хариу болгож илгээх")
    await expect(h.officer, "хариу хадгалагдлаа")
    notice = await expect(alice, "шинэ мэдээ байна")
    assert "Богд" not in text_of(notice)  # the notice carries no content
    await alice.send(f"/status {receipt}")
    view = await expect(alice, "Хариу өгсөн")
    assert "Засаг даргад шилжүүлж шалгуулав" in text_of(view)
    assert "Байгууллага" in text_of(view)
    # The notice link was used once: a second reply sends no second notice.
    before = len(alice.messages())
    await press(h.officer, "✉️ Иргэнд хариу бичих", message_id=None)
    await h.officer.send("Нэмэлт мэдээлэл.")
    await press(h.officer, "💬 Мессежээр илгээх")
    await expect(h.officer, "хариу хадгалагдлаа")
    await h.fake.wait_idle()
    assert len(alice.messages()) == before


async def test_internal_notes_stay_internal(h: Harness) -> None:
    receipt, number = await _new_case(h)
    await h.add_officer()
    await h.officer.send(f"/case {number}")
    await press(h.officer, "🔒 Дотоод тэмдэглэл")
    await h.officer.send("Гэрчийг дуудах. Дотоод.")
    await expect(h.officer, "тэмдэглэл хадгалагдлаа")
    await h.officer.send(f"/case {number}")
    thread = await expect(h.officer, "Харилцаа")
    assert "Гэрчийг дуудах" in text_of(thread)
    citizen = h.fake.user()
    await citizen.send(f"/status {receipt}")
    view = await expect(citizen, "Хүлээн авсан")
    assert "Гэрчийг" not in text_of(view)


async def test_status_changes_with_reasons_and_only_allowed_moves(h: Harness) -> None:
    receipt, number = await _new_case(h)
    await h.add_officer()
    await h.officer.send(f"/case {number}")
    await press(h.officer, "🔁 Төлөв")
    menu = await expect(h.officer, "Аль төлөв рүү")
    offered = [b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert offered == ["Шалгаж байна", "Хариу өгсөн", "Өөр байгууллагад шилжүүлсэн",
                       "Татгалзсан"]
    await press(h.officer, "Өөр байгууллагад шилжүүлсэн")
    await expect(h.officer, "Шалтгааныг бичнэ үү")
    await h.officer.send("Прокурорын газарт харьяаллын дагуу шилжүүлэв.")
    await expect(h.officer, "одоо Өөр байгууллагад шилжүүлсэн")
    citizen = h.fake.user()
    await citizen.send(f"/status {receipt}")
    view = await expect(citizen, "Өөр байгууллагад шилжүүлсэн")
    assert "Прокурорын газарт" in text_of(view)
    await h.officer.send(f"/case {number}")
    await press(h.officer, "🔁 Төлөв")
    await press(h.officer, "Хаасан")
    await expect_edit(h.officer, "одоо Хаасан")
    # A forged move the core does not allow is refused, politely.
    await h.officer.press_data(f"k:set:{number}:answered")
    await h.fake.wait_idle()
    assert "шилжүүлэх боломжгүй" in (h.officer.callback_answers[-1].get("text") or "")


async def test_deadline_is_extended_once_and_the_citizen_sees_why(h: Harness) -> None:
    receipt, number = await _new_case(h)
    await h.add_officer()
    await h.officer.send(f"/case {number}")
    await press(h.officer, "⏳ Хугацаа сунгах")
    await expect(h.officer, "хэдэн хоногоор")
    await h.officer.send("45")
    await expect(h.officer, "1-ээс 30 хүртэл")
    await press(h.officer, "30")
    await expect(h.officer, "Шалтгааныг бичнэ үү")
    await h.officer.send("Шинжээчийн дүгнэлт шаардлагатай.")
    done = await expect(h.officer, "хугацаа одоо")
    assert "2027.01.30" in text_of(done)
    citizen = h.fake.user()
    await citizen.send(f"/status {receipt}")
    view = await expect(citizen, "сунгасан")
    assert "2027.01.30" in text_of(view) and "Шинжээчийн дүгнэлт" in text_of(view)
    await h.officer.send(f"/case {number}")
    actions = await expect(h.officer, "хэргийн үйлдлүүд")
    labels = [b["text"] for row in actions["reply_markup"]["inline_keyboard"] for b in row]
    assert "⏳ Хугацаа сунгах" not in labels  # once only
    await h.officer.press_data(f"k:ext:{number}")
    await h.officer.send("10")
    await h.officer.send("Дахин сунгая")
    await expect(h.officer, "нэг удаа сунгасан")


async def test_daily_digest_lists_overdue_and_due_soon_cases(h: Harness) -> None:
    _, first = await _new_case(h)
    h.clock.advance(days=5)
    _, second = await _new_case(h)
    h.clock.advance(days=27)  # first: 2 days overdue; second: due in 3 days
    await h.run_job("digest")
    digest = await expect(h.staff_group, "Өдрийн тойм")
    body = text_of(digest)
    assert "Хугацаа хэтэрсэн: 1" in body and f"№{first}" in body
    assert "3 хоногийн дотор дуусах: 1" in body and f"№{second}" in body
    assert "2 хоног хэтэрсэн" in body
    job = next(j for j in h.app.job_queue.jobs() if j.name == "digest")
    local = job.next_t.astimezone(h.settings.tz)
    assert (local.hour, local.minute) == (9, 0)


async def test_non_staff_are_refused_every_staff_command_and_button(h: Harness) -> None:
    _, number = await _new_case(h)
    mallory = h.fake.user(first_name="Mallory")
    for command in ("/inbox", f"/case {number}", "/staff", f"/staff add {mallory.id} admin",
                    "/audit"):
        await mallory.send(command)
        await expect(mallory, "зөвхөн байгууллагын ажилтан")
    for data in (f"k:open:{number}", f"k:reply:{number}", f"k:set:{number}:closed",
                 f"k:why:{number}:rejected", f"k:ext:{number}"):
        await mallory.press_data(data)
    await h.fake.wait_idle()
    assert all("хүчингүй" in (a.get("text") or "") for a in mallory.callback_answers)
    assert not any("Сумын газрын даамал" in text_of(m) for m in mallory.messages())
    # Staff commands in the group are refused too: content is only shown privately.
    await h.admin.send(f"/case {number}", chat=h.staff_group)
    await expect(h.staff_group, "хувийн чатад")


async def test_admin_manages_staff_and_reads_the_audit_log(h: Harness) -> None:
    _, number = await _new_case(h)
    await h.admin.send("/staff")
    await expect(h.admin, "Ажилтнууд")
    await h.add_officer()
    await h.officer.send(f"/case {number}")
    await expect(h.officer, f"Хэрэг №{number}")
    await h.officer.send("/staff")  # officers are not admins
    await expect(h.officer, "зөвхөн байгууллагын ажилтан")
    await h.admin.send(f"/audit {number}")
    audit = await expect(h.admin, "Хяналтын бүртгэл")
    assert f"{OFFICER_ID} · case.view №{number}" in text_of(audit)
    await h.admin.send(f"/staff remove {OFFICER_ID}")
    await expect(h.admin, "ажилтнаас хасагдлаа")
    await h.officer.send("/inbox")
    await expect(h.officer, "зөвхөн байгууллагын ажилтан")
    await h.admin.send(f"/staff remove {h.admin.id}")
    await expect(h.admin, "Сүүлийн админыг")


async def test_cases_statuses_and_threads_survive_a_restart(h: Harness) -> None:
    receipt, number = await _new_case(h)
    await h.add_officer()
    await h.officer.send(f"/case {number}")
    await press(h.officer, "✉️ Иргэнд хариу бичих")
    await h.officer.send("Хариу: шалгаж эхэллээ.")
    await press(h.officer, "💬 Мессежээр илгээх")
    await expect(h.officer, "хариу хадгалагдлаа")
    await h.restart()
    citizen = h.fake.user()
    await citizen.send(f"/status {receipt}")
    view = await expect(citizen, "Хүлээн авсан")
    assert "Хариу: шалгаж эхэллээ." in text_of(view)
    await h.officer.send("/inbox")  # staff and roles survive too
    await expect(h.officer, f"№{number}")


async def test_a_pending_staff_action_never_takes_the_officers_citizen_text(h: Harness) -> None:
    receipt, number = await _new_case(h)
    await h.add_officer()
    await h.officer.send(f"/case {number}")
    await press(h.officer, "🔒 Дотоод тэмдэглэл")
    await expect(h.officer, "дотоод тэмдэглэлээ бичнэ үү")
    # The officer changes their mind and uses the citizen menu instead.
    await h.officer.send("📮 Гомдол, санал илгээх (110)")
    await expect(h.officer, "Юу илгээх вэ")
    await press(h.officer, "💡 Санал")
    await press(h.officer, "🤷 Мэдэхгүй байна")
    await h.officer.send("Миний хувийн санал: үйлчилгээний цагийг уртасгах.")
    await expect(h.officer, "Хүлээн авлаа")
    await h.officer.send(f"/case {number}")
    await expect(h.officer, "хэргийн үйлдлүүд")
    assert not any("Миний хувийн санал" in text_of(m) or "Гомдол, санал илгээх" in text_of(m)
                   for m in h.officer.messages() if "Дотоод тэмдэглэл" in text_of(m))
    citizen = h.fake.user()
    await citizen.send(f"/status {receipt}")
    view = await expect(citizen, "Хүлээн авсан")
    assert "Миний хувийн санал" not in text_of(view)


async def test_long_threads_are_split_within_telegrams_limit(
    h: Harness,
) -> None:
    receipt, number = await _new_case(h)
    await h.add_officer()
    for i in range(3):
        await h.officer.send(f"/case {number}")
        await press(h.officer, "✉️ Иргэнд хариу бичих")
        await h.officer.send(f"Хариу {i}: " + "урт & <тайлбар> " * 240)
        await press(h.officer, "💬 Мессежээр илгээх")
        await expect(h.officer, "хариу хадгалагдлаа")
    citizen = h.fake.user()
    await citizen.send(f"/status {receipt}")
    await expect(citizen, "Хүлээн авсан")
    await expect(citizen, "Хариу 2")
    assert all(len(text_of(m)) <= 4096 for m in citizen.messages())
    await h.officer.send(f"/case {number}")
    await expect(h.officer, "хэргийн үйлдлүүд")
    assert all(len(text_of(m)) <= 4096 for m in h.officer.messages())
