import{r as e,t}from"./chunk-SHT3W25Y-xULr0w_u.js";import"./chunk-POPQ4Y6H-es4ZR6lL.js";import"./mermaid.core-C8EXYMXs.js";import"./chunk-F27PBJKO-6Vrwq4Ly.js";import"./chunk-L3NEJ4N5-Djz-aLB8.js";import"./chunk-OSK3NFVY-lEBN6SgA.js";import"./chunk-GVQU2GXP-Dh___F-7.js";import"./chunk-4HAMMTFA-BARhkXmW.js";import"./chunk-P2QGCYS3-D-tF7dw5.js";import"./chunk-GMAD6QVW-kDt2J2WM.js";import"./chunk-PWAF6VOD-B-PZh5O3.js";import"./chunk-75Z2AOVW-DiEtVH2M.js";import"./chunk-DU6HZSFF-D7HpLf3Q.js";import"./chunk-X3CZISLH-CifqmFa4.js";import{n}from"./chunk-Y2CYZVJY-DsF7k-Jl.js";var r=t({defaultLayout:`swimlane`,styles:n(t=>`${e(t)}
  .swimlane.cluster rect {
    stroke: ${t.clusterBorder} !important;
  }
  [data-look="neo"].cluster rect {
    filter: none;
  }
`,`getStyles`)});export{r as diagram};