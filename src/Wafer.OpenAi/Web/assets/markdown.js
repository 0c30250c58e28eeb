'use strict';
// A small Markdown subset (fenced code, inline code, bold, italic, headings, lists, http(s) links, paragraphs) rendered
// as DOM nodes. Model output is untrusted: its text only ever enters the page through text nodes and textContent, never
// as markup, so "<script>" in an answer is shown as those characters.
window.WaferMarkdown = (function () {
  const inlinePattern = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\s][^*\n]*\*)|(\[[^\]\n]+\]\((https?:\/\/[^\s)]+)\))/g;

  function inline(parent, text) {
    let last = 0;
    let m;
    inlinePattern.lastIndex = 0;
    const matches = [];
    while ((m = inlinePattern.exec(text)) !== null) matches.push(m);
    for (const match of matches) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      const t = match[0];
      if (match[1]) {
        const code = document.createElement('code');
        code.textContent = t.slice(1, -1);
        parent.appendChild(code);
      } else if (match[2]) {
        const strong = document.createElement('strong');
        inline(strong, t.slice(2, -2));
        parent.appendChild(strong);
      } else if (match[3]) {
        const em = document.createElement('em');
        inline(em, t.slice(1, -1));
        parent.appendChild(em);
      } else {
        const a = document.createElement('a');
        a.textContent = t.slice(1, t.indexOf(']('));
        a.href = match[5];
        a.rel = 'noopener noreferrer nofollow';
        a.target = '_blank';
        parent.appendChild(a);
      }
      last = match.index + t.length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function render(text) {
    const root = document.createDocumentFragment();
    const lines = text.split('\n');
    let paragraph = null;
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      const fence = line.match(/^\s*```\s*([\w+#.-]*)\s*$/);
      if (fence) {
        const pre = document.createElement('pre');
        const code = document.createElement('code');
        if (fence[1]) code.dataset.lang = fence[1];
        const body = [];
        i++;
        while (i < lines.length && !/^\s*```\s*$/.test(lines[i])) body.push(lines[i++]);
        i++; // the closing fence, or the end of an answer still streaming
        code.textContent = body.join('\n');
        pre.appendChild(code);
        root.appendChild(pre);
        paragraph = null;
        continue;
      }
      const heading = line.match(/^(#{1,6})\s+(.*)$/);
      if (heading) {
        const h = document.createElement('h' + Math.min(6, heading[1].length + 2));
        inline(h, heading[2]);
        root.appendChild(h);
        paragraph = null;
        i++;
        continue;
      }
      const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/;
      const first = line.match(item);
      if (first) {
        const ordered = /\d/.test(first[1]);
        const list = document.createElement(ordered ? 'ol' : 'ul');
        let m;
        while (i < lines.length && (m = lines[i].match(item)) && /\d/.test(m[1]) === ordered) {
          const li = document.createElement('li');
          inline(li, m[2]);
          list.appendChild(li);
          i++;
        }
        root.appendChild(list);
        paragraph = null;
        continue;
      }
      if (line.trim() === '') {
        paragraph = null;
        i++;
        continue;
      }
      if (paragraph) paragraph.appendChild(document.createElement('br'));
      else {
        paragraph = document.createElement('p');
        root.appendChild(paragraph);
      }
      inline(paragraph, line);
      i++;
    }
    return root;
  }

  return { render };
})();
