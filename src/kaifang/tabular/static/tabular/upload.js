// Chunked, resumable upload: start (or resume) an upload, PUT chunks at the offset the server reports,
// then ask the server to ingest. The upload id is kept per file, so choosing the same file resumes.
(function () {
  "use strict";
  var CHUNK = 8 * 1024 * 1024;
  var form = document.getElementById("upload-form");
  if (!form) return;
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var report = document.getElementById("upload-report");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var zh = document.documentElement.lang !== "en";
  function t(z, e) { return zh ? z : e; }
  function api(method, url, body, type) {
    var headers = { "X-CSRFToken": csrf };
    if (type) headers["Content-Type"] = type;
    return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    });
  }
  function fail(res) {
    var err = (res.body && res.body.error) || {};
    status.textContent = err.message || t("上传失败", "Upload failed");
    var rows = (err.details && err.details.bad_rows) || [];
    if (rows.length) {
      var html = "<table class='grid'><thead><tr><th>" + t("行", "Row") + "</th><th>" + t("列", "Column") +
        "</th><th>" + t("值", "Value") + "</th><th>" + t("原因", "Reason") + "</th></tr></thead><tbody>";
      rows.slice(0, 200).forEach(function (r) {
        var cells = [r.row, r.column, r.value == null ? "" : r.value, r.reason].map(function (c) {
          var d = document.createElement("div"); d.textContent = String(c); return "<td>" + d.innerHTML + "</td>";
        });
        html += "<tr>" + cells.join("") + "</tr>";
      });
      report.innerHTML = html + "</tbody></table>";
    }
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var file = form.file.files[0];
    if (!file) return;
    report.innerHTML = "";
    var key = "kf-upload:" + form.dataset.startUrl + ":" + file.name + ":" + file.size + ":" + file.lastModified;
    var started = Date.now();
    var saved = localStorage.getItem(key);
    var begin = saved
      ? api("GET", "/api/v1/uploads/" + saved).then(function (r) { return r.status === 200 && r.body.state === "open" ? r : null; })
      : Promise.resolve(null);
    begin.then(function (resumed) {
      if (resumed) return resumed;
      return api("POST", form.dataset.startUrl, JSON.stringify({
        filename: file.name, size: file.size, encoding: form.encoding.value, quarantine: form.quarantine.checked
      }), "application/json");
    }).then(function (res) {
      if (res.status !== 200 && res.status !== 201) { fail(res); return; }
      var id = res.body.id;
      localStorage.setItem(key, id);
      var PHASES = { queued: t("排队等待后台任务", "queued for the background worker"), transcode: t("转码", "transcoding"), parse: t("解析", "parsing"), validate: t("校验", "validating"),
        write: t("写入", "writing"), profile: t("统计概况", "profiling") };
      function watch(up) {
        // Poll the background ingest: phase and percent, then the new version or the refusal.
        if (up.state === "ingested" && up.version) {
          bar.value = 100;
          status.textContent = t("已生成版本 v", "Created version v") + up.version.number + t("，共 ", ", ") + up.version.row_count +
            t(" 行", " rows") + (up.rows_per_s ? "（" + up.rows_per_s + t(" 行/秒", " rows/s") + "）" : "") +
            t("，待审核发布。", "; waiting for review.");
          report.innerHTML = "<a href='" + form.dataset.datasetUrl + "'>" + t("返回数据资源页面", "Back to the dataset") + "</a>";
          return;
        }
        if (up.state === "failed") { fail({ body: { error: up.error } }); return; }
        bar.value = up.percent || 0;
        var eta = up.percent > 1 && up.elapsed_s ? Math.ceil(up.elapsed_s * (100 - up.percent) / up.percent) : null;
        status.textContent = t("导入中：", "Ingesting: ") + (PHASES[up.phase] || "") + " " + Math.floor(up.percent || 0) + "%" +
          (up.elapsed_s != null ? " · " + up.elapsed_s + " s" : "") + (eta != null ? " · " + t("剩余约 ", "about ") + eta + " s" : "");
        return new Promise(function (resolve) { setTimeout(resolve, 500); }).then(function () {
          return api("GET", "/api/v1/uploads/" + id).then(function (r) { return watch(r.body); });
        });
      }
      function next(offset) {
        var pct = file.size ? Math.floor(offset * 100 / file.size) : 100;
        bar.value = pct;
        var secs = (Date.now() - started) / 1000;
        var rate = secs > 0 ? offset / secs : 0;
        status.textContent = t("已上传 ", "Uploaded ") + pct + "%" + (rate ? " · " + (rate / 1048576).toFixed(1) + " MB/s" : "") +
          (rate && offset < file.size ? " · " + t("剩余约 ", "about ") + Math.ceil((file.size - offset) / rate) + " s" : "");
        if (offset >= file.size) {
          status.textContent = t("上传完成，正在校验与转换…", "Uploaded; validating and converting…");
          return api("POST", "/api/v1/uploads/" + id + "/complete").then(function (done) {
            localStorage.removeItem(key);
            if (done.status !== 200 && done.status !== 202) { fail(done); return; }
            return watch(done.body);
          });
        }
        var blob = file.slice(offset, Math.min(offset + CHUNK, file.size));
        return api("PUT", "/api/v1/uploads/" + id + "?offset=" + offset, blob, "application/octet-stream").then(function (r) {
          if (r.status === 409 && r.body.error && r.body.error.details) return next(r.body.error.details.received);
          if (r.status !== 200) { fail(r); return; }
          return next(r.body.received);
        });
      }
      return next(res.body.received || 0);
    }).catch(function () { status.textContent = t("网络中断，请重新选择同一文件以继续上传。", "Connection lost; choose the same file again to resume."); });
  });
})();
