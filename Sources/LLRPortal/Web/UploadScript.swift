/// The upload page's script (served as /static/upload.js, so the pages'
/// policy allows scripts from this site only): drag and drop, the progress
/// of a large file, and the answer in words.
let uploadScript = """
const form = document.getElementById('upload');
const input = document.getElementById('file');
const drop = document.getElementById('drop');
const bar = document.getElementById('progress');
const result = document.getElementById('result');
function line(text, cls) { const p = document.createElement('p'); p.textContent = text; if (cls) p.className = cls; result.appendChild(p); return p; }
function send(file) {
  result.textContent = '';
  bar.value = 0;
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/api/returns?name=' + encodeURIComponent(file.name));
  xhr.setRequestHeader('X-CSRF-Token', form.dataset.csrf);
  xhr.upload.onprogress = e => { if (e.lengthComputable) bar.value = e.loaded * 100 / e.total; };
  xhr.onload = () => {
    let r;
    try { r = JSON.parse(xhr.responseText); } catch (e) { r = { error: xhr.responseText }; }
    const said = r.message || r.error || ('status ' + xhr.status);
    line((r.accepted ? 'Received: ' : 'Not received: ') + said.replace(/^received; /, ''), r.accepted ? 'ok' : 'error');
    const all = (r.report && r.report.findings) || [];
    const findings = all.filter(f => f.severity === 'error').concat(all.filter(f => f.severity !== 'error'));
    if (findings.length) {
      const ul = document.createElement('ul');
      for (const f of findings.slice(0, 20)) { const li = document.createElement('li'); li.textContent = (f.rowNumber ? 'row ' + f.rowNumber + ': ' : '') + f.message; ul.appendChild(li); }
      result.appendChild(ul);
    }
    if (r.accepted) { const a = document.createElement('a'); a.href = '/returns/' + encodeURIComponent(file.name); a.textContent = 'The full report'; result.appendChild(a); }
  };
  xhr.onerror = () => line('The upload did not reach the portal: check the connection and try again.', 'error');
  xhr.send(file);
}
form.addEventListener('submit', e => { e.preventDefault(); if (input.files.length) send(input.files[0]); });
drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]); });
"""
