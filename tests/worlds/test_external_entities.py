"""Entities of real external write tools: what a call creates or changes is named as its texts
name it (Seal-Tools, BFCL, ACEBench schemas)."""

from __future__ import annotations

from agentscaler import ingest
from agentscaler.worlds.compiler import compile_world


def _tools(path, *names: str) -> list:
    tools = [t for t in ingest.import_sources([str(path)]).tools if t.name in names]
    assert sorted({t.name for t in tools}) == sorted(names), f"{names} are in {path.name}"
    seen: set[str] = set()
    return [t for t in tools if not (t.name in seen or seen.add(t.name))]


def _inserts(world, tool: str) -> list[str]:
    return [e.insert for e in world.spec.tools[tool].effects if e.insert is not None]


def test_connecting_to_a_network_records_a_connection_to_it(external):
    """Seal-Tools ``connectToWiFi`` ("Connect to a WiFi network"): ``WiFi`` is one word and
    connecting makes a connection (to the WiFi network), not a new network row."""
    tools = _tools(external("seal-tools/tool.jsonl"), "connectToWiFi")
    world = compile_world("seal-wifi", "wifi", tools)
    tool = world.spec.tools["connectToWiFi"]
    assert (tool.kind, tool.entity) == ("create", "wifi_connection")
    assert _inserts(world, "connectToWiFi") == ["wifi_connection"]
    env = world.make_env()
    table = world.spec.entities["wifi_connection"].table
    before = len(env.db.rows(table))
    done = env.call("connectToWiFi", network_name="HomeNet", password="s3cret-pass")
    assert done.ok, done.observation
    rows = env.db.rows(table)
    assert len(rows) == before + 1
    assert rows[-1]["network_name"] == "HomeNet"


def test_a_call_on_listed_documents_makes_an_archive_of_them(external):
    """BFCL's ``archive_documents(document_ids, archive_format, storage_path, ...)``: the
    documents are existing records given by their keys; the call makes one archive of them,
    not a new document."""
    tools = _tools(external("bfcl/BFCL_v4_live_irrelevance.json"), "archive_documents")
    world = compile_world("bfcl-archive", "archive", tools)
    tool = world.spec.tools["archive_documents"]
    assert (tool.kind, tool.entity) == ("create", "document_archive")
    assert _inserts(world, "archive_documents") == ["document_archive"]
    env = world.make_env()
    table = world.spec.entities["document_archive"].table
    before = len(env.db.rows(table))
    done = env.call(
        "archive_documents",
        document_ids=["DOC-1", "DOC-2"],
        archive_format="zip",
        storage_path="/archives/q1.zip",
        compression_level=5,
    )
    assert done.ok, done.observation
    assert len(env.db.rows(table)) == before + 1


def test_a_returned_handle_names_what_the_call_makes(external):
    """Seal-Tools ``recordCall`` returns ``recording_url`` and ``exportMedia`` returns
    ``exported_file_path``: recording a call makes a call recording, exporting a media file
    makes an exported file; neither creates a call or a media export row."""
    path = external("seal-tools/tool.jsonl")
    for name, entity in (("recordCall", "call_recording"), ("exportMedia", "exported_file")):
        world = compile_world(f"seal-{name}", name, _tools(path, name))
        tool = world.spec.tools[name]
        assert (tool.kind, tool.entity) == ("create", entity), name
        assert _inserts(world, name) == [entity], name


def test_an_acronym_takes_the_noun_its_description_gives_it(external):
    """Seal-Tools ``createSMS`` ("Create a new SMS message") creates an SMS message; a
    shortened word keeps the name's spelling (BFCL's ``add_service_config``, "Adds a new service
    configuration", still writes service configs)."""
    world = compile_world("seal-sms", "sms", _tools(external("seal-tools/tool.jsonl"), "createSMS"))
    assert world.spec.tools["createSMS"].entity == "sms_message"
    assert _inserts(world, "createSMS") == ["sms_message"]
    config = _tools(external("bfcl/BFCL_v4_live_multiple.json"), "add_service_config")
    world = compile_world("bfcl-config", "config", config)
    assert world.spec.tools["add_service_config"].entity == "service_config"


def test_anonymous_settings_lists_stay_on_their_row_and_participants_become_rows(external):
    """ACEBench: ``HomeLightingControl_manageLightSettings(deviceID, settings)`` sets a list of
    settings (brightness, colour, mode, schedule) with no identity of their own: they are one
    value of the device, replaced whole, with no rows of their own. A workshop's
    ``participants`` (name, email) are people: child rows of the session."""
    folder = external("acebench/data_en")
    tools = _tools(
        folder,
        "HomeLightingControl_manageLightSettings",
        "DiversityWorkshopManager_scheduleInteractiveSession",
    )
    world = compile_world("ace-lists", "lists", tools)
    light_name = "HomeLightingControl_manageLightSettings"
    light = world.spec.tools[light_name]
    assert light.kind == "update" and _inserts(world, light_name) == []
    device = world.spec.entities[light.entity]
    assert device.columns["settings"].type == "JSON"
    assert not [
        e for e in world.spec.entities.values() if e.parent and e.parent.field == "settings"
    ]
    session = "DiversityWorkshopManager_scheduleInteractiveSession"
    children = {
        e.parent.field: name for name, e in world.spec.entities.items() if e.parent is not None
    }
    assert "participants" in children
    assert children["participants"] in _inserts(world, session)
    env = world.make_env()
    key = next(iter(env.db.rows(device.table)))[device.key]
    settings = [{"brightness": 70, "color": "#ffaa00", "mode": "night", "schedule": []}]
    done = env.call(light_name, deviceID=key, settings=settings)
    assert done.ok, done.observation
    row = next(r for r in env.db.rows(device.table) if r[device.key] == key)
    assert row["settings"] == settings


def test_a_key_inside_an_object_argument_finds_the_record_it_updates(external):
    """ACEBench ``RealEstateManager_manageProperty(propertyDetails: {propertyID, ownerID},
    rentalManagement, maintenanceScheduling)``: the property is found by the key inside
    ``propertyDetails`` and updated, not created; an unknown key is not found and changes
    nothing; the sampled calls of the conformance check find their property."""
    from agentscaler.worlds.checks.conformance import check_world

    name = "RealEstateManager_manageProperty"
    world = compile_world("ace-property", "property", _tools(external("acebench/data_en"), name))
    tool = world.spec.tools[name]
    assert (tool.kind, tool.entity) == ("update", "property")
    assert tool.find["property"].by == {"property_id": "=$propertyDetails.propertyID"}
    assert _inserts(world, name) == []
    env = world.make_env()
    table = world.spec.entities["property"].table
    key = env.db.rows(table)[0]["property_id"]
    arguments = {
        "rentalManagement": {"leaseTracking": []},
        "maintenanceScheduling": {"maintenanceTasks": []},
    }
    state = env.state_hash()
    missing = env.call(
        name, propertyDetails={"propertyID": "NO-SUCH", "ownerID": "O-1"}, **arguments
    )
    assert missing.error_type == "not_found", missing.observation
    assert env.state_hash() == state
    before = len(env.db.rows(table))
    done = env.call(name, propertyDetails={"propertyID": key, "ownerID": "O-1"}, **arguments)
    assert done.ok, done.observation
    assert len(env.db.rows(table)) == before
    row = next(r for r in env.db.rows(table) if r["property_id"] == key)
    assert row["rental_management"] == {"leaseTracking": []}
    report = check_world(world)
    assert report.passed, report.summary()


def test_a_record_named_by_a_text_argument_moves_to_the_verbs_state(external):
    """BFCL's ``views_publish(view, user_id, hash, token)`` ("Publish a view ..."): ``view``
    names the view to publish; the call finds it and moves it to published instead of creating
    a view."""
    name = "views_publish"
    world = compile_world(
        "bfcl-views", "views", _tools(external("bfcl/BFCL_v4_live_irrelevance.json"), name)
    )
    tool = world.spec.tools[name]
    assert (tool.kind, tool.entity) == ("transition", "view")
    assert tool.find["view"].by == {"view": "$view"}
    assert _inserts(world, name) == []
    updates = [e for e in tool.effects if e.update == "view"]
    assert updates and updates[0].values["status"] == "published"
    env = world.make_env()
    table = world.spec.entities["view"].table
    row = next(r for r in env.db.rows(table) if r["status"] == "active")
    sessions = world.spec.entities["session"].table
    token = env.db.find(sessions, where={"status": "active"}, limit=1)[0]["token"]
    done = env.call(name, view=row["view"], user_id=row["user_id"], hash="h-new-1", token=token)
    assert done.ok, done.observation
    after = next(r for r in env.db.rows(table) if r["view_id"] == row["view_id"])
    assert after["status"] == "published"
    missing = env.call(name, view="no such view", user_id=row["user_id"], hash="h-2", token=token)
    assert missing.error_type == "not_found", missing.observation


def test_recording_about_a_keyed_person_makes_a_record(external):
    """Seal-Tools ``recordPatientSymptoms(patient_id, symptoms)`` ("Record symptoms reported by
    a patient"): the call makes a record of the patient's symptoms, keyed to the patient."""
    name = "recordPatientSymptoms"
    world = compile_world(
        "seal-symptoms", "symptoms", _tools(external("seal-tools/tool.jsonl"), name)
    )
    tool = world.spec.tools[name]
    assert (tool.kind, tool.entity) == ("create", "patient_symptom_record")
    assert _inserts(world, name) == ["patient_symptom_record"]


def test_a_list_of_anonymous_objects_is_no_key_of_a_lookup(external):
    """ACEBench ``brand_image_tracker_evaluate_impact(campaignDetails, sentimentMetrics)``: a
    read with no row to find keeps its results in a lookup table keyed by its inputs; the list
    of sentiment metrics (no identity of its own) is a setting of the call, not part of the key,
    so a sampled call finds its seeded result and the world passes conformance."""
    from agentscaler.worlds.checks.conformance import check_world

    name = "brand_image_tracker_evaluate_impact"
    world = compile_world("ace-brand", "brand", _tools(external("acebench/data_en"), name))
    tool = world.spec.tools[name]
    assert tool.params["sentimentMetrics"].role == "option"
    assert tool.params["campaignDetails"].role == "filter"
    report = check_world(world)
    assert report.passed, report.summary()


def test_booking_a_part_of_a_named_place_makes_the_domains_bookings_of_it(external):
    """BFCL's ``book_room(hotel_name, room_type, num_nights)`` ("Book a room in a specified
    hotel") next to ``hotel_booking`` ("Books a hotel room ..."): both make the domain's hotel
    bookings, in one table; alone, with no hotel bookings kept, it books a room."""
    tools = _tools(external("bfcl/BFCL_v4_simple_python.json"), "book_room", "hotel_booking")
    world = compile_world("bfcl-hotel", "hotel", tools)
    assert world.spec.tools["hotel_booking"].entity == "hotel_booking"
    assert world.spec.tools["book_room"].entity == "hotel_booking"
    assert _inserts(world, "book_room") == ["hotel_booking"]
    env = world.make_env()
    table = world.spec.entities["hotel_booking"].table
    before = len(env.db.rows(table))
    done = env.call("book_room", hotel_name="Hotel Lumen", room_type="double", num_nights=2)
    assert done.ok, done.observation
    assert len(env.db.rows(table)) == before + 1
    alone = compile_world("bfcl-room", "room", [t for t in tools if t.name == "book_room"])
    assert alone.spec.tools["book_room"].entity == "room_booking"


def test_issuing_a_kept_thing_to_someone_lends_it(external):
    """Seal-Tools ``issueBook(user_id, book_id)`` ("Issue a book to a user in the library
    system"): the library's book is handed to the user, a loan of the book that names both."""
    world = compile_world(
        "seal-issue", "library", _tools(external("seal-tools/tool.jsonl"), "issueBook")
    )
    assert world.spec.tools["issueBook"].entity == "book_loan"
    assert _inserts(world, "issueBook") == ["book_loan"]
    env = world.make_env()
    loans = world.spec.entities["book_loan"]
    before = len(env.db.rows(loans.table))
    done = env.call("issueBook", user_id="U-7", book_id="BK-12")
    assert done.ok, done.observation
    rows = env.db.rows(loans.table)
    assert len(rows) == before + 1
    assert (rows[-1]["book_id"], rows[-1]["user_id"]) == ("BK-12", "U-7")


def test_a_new_records_details_object_fills_its_row_and_its_child_rows(external):
    """ACEBench's ``GeoArchDesign_collaborateProject(projectDetails: {projectName, location,
    participants: [{name, role, availability}]})`` ("It supports project creation"): the
    details are the new project's own fields, and its participants, people with a name, become
    child rows of it; the world passes its conformance check."""
    from agentscaler.worlds.checks.conformance import check_world

    name = "GeoArchDesign_collaborateProject"
    world = compile_world("ace-project", "project", _tools(external("acebench/data_en"), name))
    tool = world.spec.tools[name]
    assert (tool.kind, tool.entity) == ("create", "project")
    assert tool.params["projectDetails"].role == "fields"
    child = next(n for n, e in world.spec.entities.items() if e.parent is not None)
    assert world.spec.entities[child].parent.field == "participants"
    assert _inserts(world, name) == ["project", child]
    env = world.make_env()
    people = [
        {
            "name": "Ada Byron",
            "role": "Engineer",
            "availability": {"days": ["Monday"], "timeRange": "09:00-12:00"},
        },
        {
            "name": "Le Corbusier",
            "role": "Architect",
            "availability": {"days": ["Friday"], "timeRange": "14:00-17:00"},
        },
    ]
    details = {"projectName": "Harbour Hall", "location": "Lisbon", "participants": people}
    done = env.call(name, projectDetails=details)
    assert done.ok, done.observation
    projects = world.spec.entities["project"]
    row = next(r for r in env.db.rows(projects.table) if r["project_name"] == "Harbour Hall")
    assert row["location"] == "Lisbon"
    rows = [
        r
        for r in env.db.rows(world.spec.entities[child].table)
        if r["project_id"] == row[projects.key]
    ]
    assert sorted((r["name"], r["role"]) for r in rows) == [
        ("Ada Byron", "Engineer"),
        ("Le Corbusier", "Architect"),
    ]
    report = check_world(world)
    assert report.passed, report.summary()


def test_a_details_object_holding_the_records_key_names_an_existing_record(external):
    """ACEBench's ``PoliticalActivityManager_registerForEvent(eventDetails: {eventID,
    votingMethods}, userInfo)``: the details carry the event's own key, so they name an event
    that exists rather than the fields of a new one (its key is not taken from them)."""
    name = "PoliticalActivityManager_registerForEvent"
    world = compile_world("ace-event", "event", _tools(external("acebench/data_en"), name))
    tool = world.spec.tools[name]
    assert tool.params["eventDetails"].role != "fields"
    assert all("eventDetails.eventID" not in str(e.values) for e in tool.effects)


def test_lists_known_by_one_identifier_alone_stay_on_their_row(external):
    """ACEBench lists whose elements carry one identifier and nothing that links them to another
    thing: a PLC's logic rules (``ruleId``, conditions, actions), a device's encryption
    operations (``operation_id``, timestamp, action) and an exhibition's visitor log
    (``visitorID``, entry time). Each list is one value of its record, set whole by the call:
    no child table, no inserted rows. Line items (a reference with a quantity) still become
    rows (see the built-in order items)."""
    folder = external("acebench/data_en")
    lists = {
        "PLCController_configureLadderLogic": "logic_details",
        "iot_device_encryption_control": "operations",
        "ArtExhibitEntryManager_scanAndManageEntries": "visitor_log",
    }
    world = compile_world("ace-logs", "logs", _tools(folder, *lists))
    for name, field_name in lists.items():
        tool = world.spec.tools[name]
        assert not [
            e for e in world.spec.entities.values() if e.parent and e.parent.field == field_name
        ], name
        assert _inserts(world, name) == ([] if tool.kind == "update" else [tool.entity]), name
        assert world.spec.entities[tool.entity].columns[field_name].type == "JSON", name
    env = world.make_env()
    name = "PLCController_configureLadderLogic"
    plc = world.spec.entities[world.spec.tools[name].entity]
    key = env.db.rows(plc.table)[0][plc.key]
    rules = [
        {
            "ruleId": "R1",
            "conditions": [{"input": "temp", "comparison": "greater_than", "value": "80"}],
            "actions": [{"actionType": "stop", "target": "conveyor"}],
        }
    ]
    schedule = {"startTime": "08:00", "endTime": "17:00", "days": ["Monday"]}
    done = env.call(name, plcId=key, logicDetails=rules, schedule=schedule)
    assert done.ok, done.observation
    row = next(r for r in env.db.rows(plc.table) if r[plc.key] == key)
    assert row["logic_details"] == rules


def test_line_items_become_rows_of_their_own():
    """A list whose elements reference something with a quantity (``product_id``,
    ``quantity``) is rows of a child table, even where the referenced entity has no table."""
    from agentscaler.worlds.infer.children import has_identity

    line = {"product_id": {"type": "string"}, "quantity": {"type": "integer"}}
    assert has_identity(line)
    assert not has_identity({"operation_id": {"type": "string"}, "action": {"type": "string"}})
    assert has_identity({"visitorID": {"type": "string"}}, frozenset({"visitor"}))
    assert has_identity({"leaseID": {"type": "string"}, "tenantID": {"type": "string"}})
