/* On a phone, data tables stack each row into lines (tadafur.css, max-width 40rem) and hide
   their header: every cell then shows its column's name (data-label) before its value. Cells
   written with data-label keep theirs; the others get the text of their column's heading,
   here, once the page or an htmx fragment is in place. */
(function () {
  "use strict";

  function labelTables(root) {
    root.querySelectorAll("table.data").forEach(function (table) {
      var headings = table.querySelectorAll("thead tr:last-child th");
      if (!headings.length) {
        return;
      }
      var names = [];
      headings.forEach(function (th) {
        var span = th.colSpan || 1;
        for (var i = 0; i < span; i += 1) {
          names.push(span > 1 ? "" : th.textContent.trim());
        }
      });
      table.querySelectorAll("tbody tr, tfoot tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          var span = cell.colSpan || 1;
          if (span === 1 && !cell.hasAttribute("data-label") && names[column]) {
            cell.setAttribute("data-label", names[column]);
          }
          column += span;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { labelTables(document); });
  document.addEventListener("htmx:afterSettle", function () { labelTables(document); });
}());
