// The simulator page: a phone that talks to the service as WeChat would (through the
// simulator's JSON API), and the cashier page in a frame beside it. Plain JavaScript.
// Each phone's chat is kept in this browser (localStorage); pushes and SMS are polled.
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var root = $("sim");
  var PUBLIC_BASE = root.dataset.publicBase;
  var POLL_MS = 1500;
  var CODE = /\b(\d{4}(?: \d{4}){3} \d{2})\b/;   // the e-card's grouped 18-digit code
  var URL_RE = /(https?:\/\/[^\s<>"'，。）)]+)/g;

  var state = {phones: [], current: null, polling: false};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function api(method, path, body) {
    var opts = {method: method, headers: {}};
    if (body) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch("/simulator/api" + path, opts).then(function (resp) {
      return resp.json().then(function (data) {
        if (!resp.ok) throw new Error((data.error && data.error.message) || ("HTTP " + resp.status));
        return data;
      });
    });
  }

  // ---- the chat log, per phone ---------------------------------------------

  function logKey(openid) { return "simulator:log:" + openid; }
  function seenKey(openid) { return "simulator:seen:" + openid; }
  function readJSON(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function chatLog() { return readJSON(logKey(state.current), []); }
  function seen() { return readJSON(seenKey(state.current), {}); }

  function append(entry) {
    var log = chatLog();
    log.push(entry);
    localStorage.setItem(logKey(state.current), JSON.stringify(log.slice(-300)));
    render(entry);
  }

  function phone() {
    return state.phones.filter(function (p) { return p.openid === state.current; })[0];
  }

  // ---- rendering -----------------------------------------------------------

  function linkified(text) {
    var parts = text.split(URL_RE);
    return parts.map(function (part, i) {
      if (i % 2 === 0) return document.createTextNode(part);
      var a = el("a", {href: part, "class": "link", text: part});
      a.addEventListener("click", function (ev) { ev.preventDefault(); openPage(part); });
      return a;
    });
  }

  function copyButton(code) {
    var btn = el("button", {type: "button", "class": "copy", "data-code": code, text: "复制到收银台"});
    btn.addEventListener("click", function () { toCashier(code); });
    return btn;
  }

  function cardNode(b) {
    var rows = (b.fields || []).map(function (f) {
      return el("div", {"class": "field", "data-type": f.type, "data-key": f.key},
                [el("span", {"class": "label", text: f.label}), el("span", {"class": "value", text: f.value})]);
    });
    var card = el("div", {"class": "card " + b.kind}, [
      el("div", {"class": "card-head", text: b.kind === "template" ? "服务通知" : "订阅通知"}),
      el("div", {"class": "card-title", text: b.title})].concat(rows));
    if (b.url) {
      var more = el("a", {href: b.url, "class": "card-more", text: "查看详情 ›"});
      more.addEventListener("click", function (ev) { ev.preventDefault(); openPage(b.url); });
      card.appendChild(more);
    }
    return card;
  }

  function newsNode(b) {
    return el("div", {"class": "news"}, (b.articles || []).map(function (a) {
      var item = el("a", {href: a.url || "#", "class": "article"}, [
        a.picurl ? el("img", {src: a.picurl, alt: ""}) : null,
        el("strong", {text: a.title}), el("span", {text: a.description})]);
      item.addEventListener("click", function (ev) { ev.preventDefault(); if (a.url) openPage(a.url); });
      return item;
    }));
  }

  function bubbleNode(entry) {
    var b = entry.bubble;
    if (entry.from === "system") return el("div", {"class": "system", text: b.text});
    var body;
    if (b.kind === "text") {
      body = el("div", {"class": "bubble text"}, linkified(b.text));
      var code = entry.from === "them" && CODE.exec(b.text);
      if (code) body.appendChild(el("div", {"class": "actions"}, [copyButton(code[1].replace(/ /g, ""))]));
    } else if (b.kind === "image") {
      body = el("div", {"class": "bubble image"}, [el("img", {src: b.src, alt: "图片"})]);
    } else if (b.kind === "news") {
      body = newsNode(b);
    } else if (b.kind === "template" || b.kind === "subscribe") {
      body = cardNode(b);
    } else if (b.kind === "sms") {
      body = el("div", {"class": "bubble sms"}, [el("div", {"class": "sender", text: b.sender}),
                                                 el("div", {text: b.text})]);
      if (b.code) {
        var fill = el("button", {type: "button", "class": "copy", text: "填入验证码"});
        fill.addEventListener("click", function () {
          root.classList.add("typing"); $("text").value = b.code; $("text").focus();
        });
        body.appendChild(el("div", {"class": "actions"}, [fill]));
      }
    } else {
      body = el("div", {"class": "bubble text", text: "[" + b.kind + "]"});
    }
    var row = el("div", {"class": "msg " + entry.from + " kind-" + b.kind}, [
      entry.from === "me" ? null : el("div", {"class": "avatar", text: b.kind === "sms" ? "短" : "油"}), body]);
    return row;
  }

  function render(entry) {
    var chat = $("chat");
    chat.appendChild(bubbleNode(entry));
    chat.scrollTop = chat.scrollHeight;
  }

  function renderAll() {
    var chat = $("chat");
    while (chat.firstChild) chat.removeChild(chat.firstChild);
    chatLog().forEach(render);
    var p = phone();
    $("sim-number").textContent = p ? "本机 " + p.phone_masked : "";
    $("sim-state").textContent = p ? (p.following ? "已关注" : "未关注") + " · " + (p.bound ? "已绑定 " + p.member_phone : "未绑定") : "";
    $("follow").disabled = !!(p && p.following);
    $("unfollow").disabled = !(p && p.following);
    fillReferrers();
  }

  // ---- talking to the service ----------------------------------------------

  function deliver(body, shown) {
    body.openid = state.current;
    append(shown);
    return api("POST", "/send", body).then(function (data) {
      var p = phone();
      if (p) { p.following = data.following; p.bound = data.bound; }
      if (data.reply) append({from: "them", bubble: data.reply});
      refreshPhones();
      return poll();
    }).catch(function (err) {
      append({from: "system", bubble: {kind: "text", text: "发送失败：" + err.message}});
    });
  }

  function sendText(text) {
    return deliver({text: text}, {from: "me", bubble: {kind: "text", text: text}});
  }

  function click(key, name) {
    return deliver({click: key}, {from: "system", bubble: {kind: "text", text: "点击菜单「" + name + "」"}});
  }

  function poll() {
    if (!state.current || state.polling) return Promise.resolve();
    state.polling = true;
    var openid = state.current;
    return api("GET", "/inbox?openid=" + encodeURIComponent(openid)).then(function (data) {
      if (openid !== state.current) return;
      var known = seen();
      data.pushes.concat(data.sms).forEach(function (item) {
        if (known[item.id]) return;
        known[item.id] = 1;
        append({from: "them", bubble: item, id: item.id});
      });
      localStorage.setItem(seenKey(openid), JSON.stringify(known));
    }).catch(function () { /* the next poll tries again */ }).then(function () { state.polling = false; });
  }

  // ---- the H5 pages and the cashier frame -----------------------------------

  function openPage(url) {
    $("h5-title").textContent = url.replace(/^https?:\/\/[^/]+/, "");
    $("h5-frame").src = "/simulator/open?openid=" + encodeURIComponent(state.current) + "&to=" + encodeURIComponent(url);
    $("h5").hidden = false;
  }

  function toCashier(code) {
    var doc = $("cashier").contentDocument;
    var input = doc && doc.getElementById("member-code");
    if (!input) { alert("请先在右侧登录收银台"); return; }
    input.value = code;
    var tab = doc.querySelector(".tab[data-tab=sale]");
    if (tab) tab.click();
    doc.getElementById("code-form").requestSubmit();
  }

  // ---- phones ----------------------------------------------------------------

  function refreshPhones() {
    return api("GET", "/phones").then(function (data) {
      state.phones = data.phones;
      var select = $("phone-select"), keep = state.current || localStorage.getItem("simulator:current");
      while (select.firstChild) select.removeChild(select.firstChild);
      data.phones.forEach(function (p) {
        select.appendChild(el("option", {value: p.openid, text: p.name + "（" + p.phone_masked + "）"}));
      });
      if (!data.phones.some(function (p) { return p.openid === keep; })) keep = data.phones[0].openid;
      select.value = keep;
      if (keep !== state.current) { state.current = keep; localStorage.setItem("simulator:current", keep); }
      var demo = $("demo-select");
      while (demo.options.length > 1) demo.remove(1);
      data.demo_members.forEach(function (m) {
        demo.appendChild(el("option", {value: m.openid, text: m.tier + " 会员 " + m.phone_masked}));
      });
      if (!$("pump-station").options.length) {
        data.stations.forEach(function (s) { $("pump-station").appendChild(el("option", {value: s.code, text: s.name})); });
        data.nozzles.forEach(function (n) { $("pump-nozzle").appendChild(el("option", {value: n, text: n + " 号枪"})); });
      }
      renderAll();
    });
  }

  function fillReferrers() {
    var select = $("referrer"), keep = select.value;
    while (select.firstChild) select.removeChild(select.firstChild);
    state.phones.filter(function (p) { return p.bound && p.openid !== state.current; }).forEach(function (p) {
      select.appendChild(el("option", {value: p.openid, text: p.name + " 的推荐码"}));
    });
    if (!select.options.length) select.appendChild(el("option", {value: "", text: "（无已绑定的其他手机）"}));
    select.value = keep || select.options[0].value;
    if (select.selectedIndex < 0) select.selectedIndex = 0;
  }

  function switchTo(openid) {
    state.current = openid;
    localStorage.setItem("simulator:current", openid);
    $("h5").hidden = true;
    renderAll();
    poll();
  }

  // ---- wiring ------------------------------------------------------------------

  $("composer").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    sendText(text);
  });

  $("menu-toggle").addEventListener("click", function () { root.classList.remove("typing"); });
  $("keyboard").addEventListener("click", function () { root.classList.add("typing"); $("text").focus(); });
  document.querySelectorAll(".menu-top").forEach(function (top) {
    top.addEventListener("click", function () {
      if (top.dataset.key) { click(top.dataset.key, top.textContent); return; }
      var sub = document.querySelector('[data-sub-of="' + top.dataset.sub + '"]');
      var open = !sub.hidden;
      document.querySelectorAll(".sub").forEach(function (s) { s.hidden = true; });
      sub.hidden = open;
    });
  });
  document.querySelectorAll(".sub button").forEach(function (b) {
    b.addEventListener("click", function () {
      b.parentNode.hidden = true;
      click(b.dataset.key, b.textContent);
    });
  });

  $("follow").addEventListener("click", function () {
    deliver({event: "follow"}, {from: "system", bubble: {kind: "text", text: "关注了公众号"}});
  });
  $("unfollow").addEventListener("click", function () {
    deliver({event: "unfollow"}, {from: "system", bubble: {kind: "text", text: "取消关注了公众号"}});
  });
  $("pump-scan").addEventListener("click", function () {
    var station = $("pump-station"), nozzle = $("pump-nozzle").value;
    var where = station.options[station.selectedIndex].text + " " + nozzle + " 号枪";
    deliver({event: "pump", station: station.value, nozzle: nozzle},
            {from: "system", bubble: {kind: "text", text: "扫描了" + where + "的二维码"}});
  });
  $("referral-scan").addEventListener("click", function () {
    var select = $("referrer");
    if (!select.value) return;
    deliver({event: "referral", referrer: select.value},
            {from: "system", bubble: {kind: "text", text: "扫描了" + select.options[select.selectedIndex].text}});
  });

  $("phone-select").addEventListener("change", function (ev) { switchTo(ev.target.value); });
  $("new-phone").addEventListener("click", function () {
    api("POST", "/phones", {}).then(function (data) {
      state.current = data.phone.openid;
      localStorage.setItem("simulator:current", state.current);
      return refreshPhones();
    }).then(poll);
  });
  $("demo-select").addEventListener("change", function (ev) {
    if (!ev.target.value) return;
    api("POST", "/phones", {openid: ev.target.value}).then(function (data) {
      ev.target.value = "";
      state.current = data.phone.openid;
      localStorage.setItem("simulator:current", state.current);
      return refreshPhones();
    }).then(poll);
  });
  $("fill-number").addEventListener("click", function () {
    var p = phone();
    if (p) { root.classList.add("typing"); $("text").value = p.phone; $("text").focus(); }
  });
  $("clear-chat").addEventListener("click", function () {
    localStorage.setItem(logKey(state.current), "[]");
    renderAll();
  });
  $("h5-close").addEventListener("click", function () { $("h5").hidden = true; $("h5-frame").src = "about:blank"; });

  refreshPhones().then(function () {
    poll();
    setInterval(poll, POLL_MS);
    document.body.setAttribute("data-ready", "1");
  });
})();
