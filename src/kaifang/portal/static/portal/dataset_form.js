// Field rows of the dataset form: add one from the <template>, remove one with its error row.
(function () {
  var rows = document.getElementById("field-rows");
  var tpl = document.getElementById("field-row-template");
  document.getElementById("add-row").addEventListener("click", function () {
    rows.appendChild(tpl.content.cloneNode(true));
    var inputs = rows.querySelectorAll("input[name=field_name]");
    inputs[inputs.length - 1].focus();
  });
  rows.addEventListener("click", function (e) {
    if (!e.target.classList.contains("remove-row")) return;
    var tr = e.target.closest("tr");
    var next = tr.nextElementSibling;
    if (next && next.classList.contains("row-errors")) next.remove();
    tr.remove();
  });
})();
