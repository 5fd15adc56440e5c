// Planwatch 填报 and 审核: the upload form, the grid form (checked as typed, saved as a draft as
// one goes, submitted), and the reviewer's approve / return. Everything goes to this server's
// JSON API (/api/submissions…) with the session's CSRF token; the rules are the server's (the
// import's validation, the workflow), never copied here.
(function () {
  "use strict";
  var EN = (document.documentElement.lang || "").indexOf("en") === 0;
  function t(zh, en) { return EN ? en : zh; }

  // The session's CSRF token: the account bar's sign-out form carries it.
  function csrf() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // A request to the API; resolves to {status, body} (body parsed when JSON).
  function api(method, url, body, isForm) {
    var headers = { "X-CSRF-Token": csrf(), "Accept": "application/json" };
    if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : (isForm ? body : JSON.stringify(body))
    }).then(function (response) {
      return response.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
        return { status: response.status, body: parsed };
      });
    });
  }

  function errorText(answer) {
    if (answer.body && answer.body.error && answer.body.error.message) return answer.body.error.message;
    return t("请求失败（HTTP ", "The request failed (HTTP ") + answer.status + ")";
  }

  function hhmm() {
    var now = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(now.getHours()) + ":" + two(now.getMinutes());
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () { timer = null; fn(); }, ms);
    };
  }

  // ---- The upload on 填报 ----
  function uploadForm() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var status = document.getElementById("upload-status");
    var table = document.getElementById("upload-problems");
    var tbody = table.querySelector("tbody");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      if (!document.getElementById("upload-draft").checked) data.delete("draft");
      tbody.textContent = "";
      table.hidden = true;
      status.className = "status-line";
      status.textContent = t("正在检查……", "Checking…");
      api("POST", "/api/submissions", data, true).then(function (answer) {
        if (answer.status === 201) {
          status.textContent = (answer.body.status === "draft" ? t("已存为草稿 ", "Saved as draft ") : t("已报送 ", "Submitted ")) + "#" + answer.body.id;
          location.reload();
        } else if (answer.status === 422 && answer.body && answer.body.problems) {
          var problems = answer.body.problems;
          problems.forEach(function (p) {
            var tr = document.createElement("tr");
            [p.file || "", p.row ? String(p.row) : "", p.column || p.field || "", p.message].forEach(function (text) {
              var td = document.createElement("td");
              td.textContent = text;
              tr.appendChild(td);
            });
            tbody.appendChild(tr);
          });
          table.hidden = false;
          status.className = "status-line error-message";
          status.textContent = t("有 " + problems.length + " 个问题，未保存任何数据：", problems.length + " problem(s); nothing was stored:");
        } else {
          status.className = "status-line error-message";
          status.textContent = errorText(answer);
        }
      });
    });
  }

  // ---- The grid form ----
  function gridForm() {
    var grid = document.getElementById("grid");
    var setupEl = document.getElementById("form-setup");
    if (!grid || !setupEl) return;
    var setup = JSON.parse(setupEl.textContent);
    var id = setup.submission;
    var saveStatus = document.getElementById("save-status");
    var summary = document.getElementById("form-problems-summary");
    var trs = Array.prototype.slice.call(grid.querySelectorAll("tbody tr"));
    var editable = !!document.getElementById("save-draft");
    var dirty = false;
    var busy = Promise.resolve();

    function say(text, bad) {
      if (!saveStatus) return;
      saveStatus.textContent = text;
      saveStatus.className = "status-line" + (bad ? " error-message" : "");
    }

    // The rows to send (blank values left out), the table row of each, and the cells that
    // are not numbers at all (JSON carries numbers only).
    function collect() {
      var rows = [], sent = [], unreadable = [];
      trs.forEach(function (tr) {
        var text = tr.querySelector("input.value").value.trim();
        if (!text) return;
        var number = Number(text.replace(/[,，\s]/g, ""));
        if (!isFinite(number)) { unreadable.push(tr); return; }
        var note = tr.querySelector("input.note").value.trim();
        rows.push({ indicator: tr.dataset.indicator, region: tr.dataset.region, period: tr.dataset.period,
          value: number, note: note || null });
        sent.push(tr);
      });
      return { rows: rows, sent: sent, unreadable: unreadable };
    }

    function clearProblems() {
      trs.forEach(function (tr) {
        tr.classList.remove("has-problem");
        tr.querySelector(".problem").textContent = "";
        tr.querySelectorAll("input").forEach(function (i) { i.classList.remove("bad"); i.removeAttribute("aria-invalid"); });
      });
      summary.hidden = true;
      summary.textContent = "";
    }

    function mark(tr, message, field) {
      tr.classList.add("has-problem");
      var cell = tr.querySelector(".problem");
      cell.textContent = cell.textContent ? cell.textContent + "；" + message : message;
      var input = tr.querySelector(field === "note" ? "input.note" : "input.value");
      input.classList.add("bad");
      input.setAttribute("aria-invalid", "true");
    }

    // A change far from the published value: a warning beside the row, not a problem.
    function warn(tr, change) {
      var cell = tr.querySelector(".problem");
      var note = document.createElement("span");
      note.className = "warning";
      var pct = (change.large_percent > 0 ? "+" : "") + change.large_percent.toFixed(1) + "%";
      note.textContent = t("⚠ 大幅变动 " + pct + "（已发布 " + change.old + "）", "⚠ large change " + pct + " (published " + change.old + ")");
      cell.appendChild(note);
    }

    // Shows every problem beside the row it names; a problem of the whole request above; and
    // the large changes among `changes` as warnings.
    function show(collected, problems, changes) {
      clearProblems();
      (changes || []).forEach(function (c) {
        var tr = collected.sent[c.row];
        if (tr && c.large_percent !== null && c.large_percent !== undefined) warn(tr, c);
      });
      var general = [];
      collected.unreadable.forEach(function (tr) { mark(tr, t("不是数字", "not a number"), "value"); });
      (problems || []).forEach(function (p) {
        var tr = p.row > 0 ? collected.sent[p.row - 1] : null;
        if (tr) mark(tr, p.message, p.field); else general.push(p.message);
      });
      var count = collected.unreadable.length + (problems || []).length;
      if (count) {
        summary.hidden = false;
        summary.textContent = t("有 " + count + " 个问题", count + " problem(s)") + (general.length ? "：" + general.join("；") : "");
      }
      return count;
    }

    // Checks the rows as the import would, nothing stored.
    var check = debounce(function () {
      var collected = collect();
      if (!collected.rows.length) { show(collected, []); return; }
      api("POST", "/api/submissions/check", { unit: setup.unit, rows: collected.rows }).then(function (answer) {
        if (answer.status === 200 && answer.body) show(collected, answer.body.problems, answer.body.changes);
        else if (answer.status === 422 && answer.body) show(collected, answer.body.problems);
        else show(collected, []);
      });
    }, 400);

    // Saves a draft: the first time a new draft is made, then its rows are replaced.
    function save() {
      busy = busy.then(function () {
        var collected = collect();
        if (collected.unreadable.length) { show(collected, []); say(t("未保存：有无法识别的数字", "Not saved: a value is not a number"), true); return; }
        if (!collected.rows.length) { say(t("没有可保存的数值", "No values to save"), true); return; }
        dirty = false;
        say(t("正在保存……", "Saving…"));
        var request = id
          ? api("PUT", "/api/submissions/" + id + "/rows", { rows: collected.rows })
          : api("POST", "/api/submissions", { unit: setup.unit, rows: collected.rows, draft: true });
        return request.then(function (answer) {
          if (answer.status === 200 || answer.status === 201) {
            if (!id && answer.body && answer.body.id) {
              id = answer.body.id;
              history.replaceState(null, "", "/report/form?submission=" + id);
            }
            show(collected, []);
            say(t("已保存 ", "Saved ") + hhmm());
          } else if (answer.status === 422 && answer.body) {
            dirty = true;
            show(collected, answer.body.problems);
            say(t("未保存：请先改正问题", "Not saved: correct the problems first"), true);
          } else {
            dirty = true;
            say(errorText(answer), true);
          }
        });
      });
      return busy;
    }

    var autosave = debounce(function () { if (dirty) save(); }, 2000);

    function submit() {
      busy = busy.then(function () {
        var collected = collect();
        if (collected.unreadable.length) { show(collected, []); say(t("未提交：有无法识别的数字", "Not submitted: a value is not a number"), true); return; }
        say(t("正在提交……", "Submitting…"));
        var request = id
          ? api("POST", "/api/submissions/" + id + "/submit", { rows: collected.rows })
          : api("POST", "/api/submissions", { unit: setup.unit, rows: collected.rows, draft: false });
        return request.then(function (answer) {
          if (answer.status === 200 || answer.status === 201) {
            dirty = false;
            say(t("已提交 ", "Submitted ") + hhmm());
            location.href = "/report?unit=" + encodeURIComponent(setup.unit) + "&submitted=" + (answer.body.id || id);
          } else if (answer.status === 422 && answer.body) {
            show(collected, answer.body.problems);
            say(t("未提交：请先改正问题", "Not submitted: correct the problems first"), true);
          } else {
            say(errorText(answer), true);
          }
        });
      });
    }

    // The table's head sticks just below the form's header, however tall that is.
    var head = document.getElementById("form-head");
    function stick() { document.documentElement.style.setProperty("--form-head", head.offsetHeight + "px"); }
    stick();
    window.addEventListener("resize", stick);
    if (!editable) return;
    grid.addEventListener("input", function () { dirty = true; say(t("有未保存的修改", "Unsaved changes")); check(); autosave(); });
    // Enter: down to the same column of the next row (Shift+Enter: up); Tab moves across.
    grid.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
      event.preventDefault();
      var tr = event.target.closest("tr");
      var column = event.target.classList.contains("note") ? "input.note" : "input.value";
      var index = trs.indexOf(tr) + (event.shiftKey ? -1 : 1);
      if (index >= 0 && index < trs.length) {
        var next = trs[index].querySelector(column);
        next.focus();
        next.select();
      }
    });
    document.getElementById("save-draft").addEventListener("click", function () { save(); });
    document.getElementById("submit-form").addEventListener("click", submit);
    window.addEventListener("beforeunload", function (event) { if (dirty) event.preventDefault(); });
  }

  // ---- 审核: approve or return ----
  function reviewForm() {
    var form = document.getElementById("review-form");
    if (!form) return;
    var result = document.getElementById("review-result");
    var id = form.dataset.id;
    var base = form.dataset.api || "/api/submissions";
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.querySelectorAll("button[data-step]").forEach(function (button) {
      button.addEventListener("click", function () {
        var step = button.dataset.step;
        var comment = document.getElementById("review-comment").value.trim();
        var body = step === "return" || comment ? { comment: comment } : undefined;
        result.className = "status-line";
        result.textContent = t("正在提交……", "Sending…");
        api("POST", base + "/" + id + "/" + step, body).then(function (answer) {
          if (answer.status === 200) {
            result.textContent = step === "approve" ? t("已审核通过", "Approved") : t("已退回", "Returned");
            location.reload();
          } else {
            result.className = "status-line error-message";
            result.textContent = errorText(answer);
          }
        });
      });
    });
  }

  // ---- 填报: progress on tasks and projects ----
  // A new report goes as a form (with its evidence files) to POST /api/progress; an open one
  // (a draft or returned) is edited (PUT), gets the files added, and is submitted when asked.
  // A refusal is shown beside the field the API names.
  function progressForms() {
    document.querySelectorAll("form.progress-form").forEach(function (form) {
      var status = form.querySelector(".status-line");
      function clear() {
        form.querySelectorAll(".refusal[data-field]").forEach(function (p) { p.hidden = true; p.textContent = ""; });
        status.className = "status-line";
        status.textContent = "";
      }
      function refuse(answer) {
        var field = answer.body && answer.body.error && answer.body.error.field;
        var place = field && form.querySelector(".refusal[data-field=" + field + "]");
        if (place) {
          place.textContent = errorText(answer);
          place.hidden = false;
          status.textContent = "";
        } else {
          status.className = "status-line error-message";
          status.textContent = errorText(answer);
        }
      }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var draft = event.submitter && event.submitter.value === "true";
        var data = new FormData(form);
        var word = data.get("progress_word");
        var percent = data.get("progress_percent");
        data.delete("progress_word");
        data.delete("progress_percent");
        if (form.dataset.kind === "task") data.set("progress", word || percent || "");
        var files = data.getAll("evidence").filter(function (f) { return f && f.name; });
        data.delete("evidence");
        clear();
        status.textContent = t("正在提交……", "Sending…");
        var done = function (answer) {
          if (answer.status === 200 || answer.status === 201) { location.reload(); return; }
          refuse(answer);
        };
        var report = form.dataset.report;
        if (!report) {
          files.forEach(function (f) { data.append("evidence", f, f.name); });
          data.set("draft", draft ? "true" : "false");
          api("POST", "/api/progress", data, true).then(done);
          return;
        }
        var content = { text: data.get("text") || "", problems: data.get("problems") || "" };
        if (form.dataset.kind === "task") {
          content.progress = /^\s*[0-9.]+\s*$/.test(data.get("progress")) ? Number(data.get("progress")) : data.get("progress");
          content.nodes_met = data.getAll("nodes_met").map(Number);
        } else {
          content.stage = data.get("stage");
          ["invested_year", "invested_total"].forEach(function (k) { if (data.get(k)) content[k] = Number(data.get(k)); });
        }
        api("PUT", "/api/progress/" + report, content).then(function (answer) {
          if (answer.status !== 200) return answer;
          if (!files.length) return answer;
          var upload = new FormData();
          files.forEach(function (f) { upload.append("evidence", f, f.name); });
          return api("POST", "/api/progress/" + report + "/evidence", upload, true);
        }).then(function (answer) {
          if (answer.status !== 200 || draft) return answer;
          return api("POST", "/api/progress/" + report + "/submit");
        }).then(done);
      });
    });
    var result = document.getElementById("progress-steps-result");
    document.querySelectorAll("button[data-progress]").forEach(function (button) {
      button.addEventListener("click", function () {
        api("POST", "/api/progress/" + button.dataset.progress + "/" + button.dataset.step).then(function (answer) {
          if (answer.status === 200) { location.reload(); return; }
          result.className = "status-line error-message";
          result.textContent = errorText(answer);
        });
      });
    });
  }

  function start() { uploadForm(); gridForm(); reviewForm(); progressForms(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
